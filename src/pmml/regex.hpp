#pragma once
// The regular expressions of PMML documents (TextIndex separators and word patterns,
// TextIndexNormalization rows, the `matches` and `replace` built-ins): the ECMAScript subset that
// PMML producers write, compiled once into a small program and matched by a Pike VM (a Thompson
// NFA simulation carrying the capture positions of each thread, threads kept in priority order).
//
// Why not std::regex: libstdc++'s matcher backtracks recursively, one stack frame per input
// character or so; a record field of some 10-100 KB against `\w+` or `(a|b)*` overflows the stack
// and kills the process. Here matching never recurses over the input: time is
// O(text length x program size) per search, lookaheads included, memory is bounded by the program
// size (plus one bit per lookahead and text position, and O(sqrt(text length x body size)) for the
// captures of a lookahead, see below), and the program size is bounded at compile time.
// Iterating over all matches (for_each, replace) can scan a position once per search when each
// search runs on past the match it returns (`a*b|a` on "aaa..."): that work is counted and capped
// at Regex::work_budget(), far above what the searches of ordinary patterns take.
//
// Semantics are ECMAScript's (leftmost match, first alternative / greedy or lazy preference
// decides among matches at that position, captures of a repeated group reset at each
// iteration), on bytes: classes and case folding are ASCII, any byte >= 0x80 is a plain
// character.
//
// Lookahead: whether a lookahead holds at a position (and, for a positive one whose groups the
// caller asked for, the captures of its body's highest-priority match there) is computed for every
// position of the text at once, by one backward pass from the end of the text over the body's
// instructions (an instruction at a position succeeds from the instructions at the same and the
// next position), lookaheads nested inside a body before the body. The VM then reads a table. The
// pass is started lazily, at the first position where a thread reaches a lookahead, and reaches
// down only as far as the queries do; it is kept for all the searches of one for_each/replace.
// Cost: O(text length x body size) for every pattern; a body with an empty-matching loop inside
// (`(?=((?:a|)*)b)`) whose groups are asked for also pays, per position, a walk of that loop per
// way into it (at most the loop's size squared, a constant of the pattern).
//
// Thread-safety: a compiled Regex is immutable and may be shared by any number of threads; each
// thread passes its own RegexScratch. A warm scratch makes search and replace allocation-free
// (replace appends to a caller-owned string).

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace scorestream::pmml::detail {

/// Why a pattern did not compile: a malformed pattern, or a construct outside the subset.
struct RegexError {
    enum class Kind : std::uint8_t { none, malformed, unsupported };
    Kind kind = Kind::none;
    std::string message;     ///< what was wrong, e.g. "backreference \\1 is not supported"
    std::size_t offset = 0;  ///< byte offset in the pattern
};

/// The span of a group in the text; begin == npos when the group did not participate.
struct RegexSpan {
    static constexpr std::size_t npos = static_cast<std::size_t>(-1);
    std::size_t begin = npos, end = npos;
    bool matched() const { return begin != npos; }
};

class RegexScratch;

/// How a for_each or replace ended.
enum class RegexStatus : std::uint8_t {
    done,      ///< every match was seen, or the callback stopped
    too_long,  ///< replace: the output passed its bound
    too_slow,  ///< the searches passed Regex::work_budget() and stopped
};

class Regex {
public:
    /// Compiled programs are refused above these sizes (a bounded scratch for every pattern).
    static constexpr std::size_t max_instructions = 20000;
    static constexpr std::size_t max_groups = 99;              ///< capturing groups ($1..$99)
    static constexpr std::size_t max_capture_cells = 1 << 18;  ///< instructions x capture slots
    static constexpr int max_nesting = 100;                    ///< of groups and lookaheads
    static constexpr int max_look_nesting = 4;                 ///< lookahead inside lookahead

    /// Compiles `pattern`; false (with `error` filled) when it is malformed or unsupported.
    bool compile(std::string_view pattern, bool icase, RegexError& error);

    /// Capturing groups plus one (group 0 is the whole match).
    std::size_t groups() const { return slots_ / 2; }
    bool empty() const { return prog_.empty(); }

    /// The leftmost-first match starting at or after `from` (context before `from` is seen by \b).
    /// Fills spans[0..n) for groups 0..n-1 (n <= groups(); n = 1 is cheaper than all groups).
    bool search(std::string_view text, std::size_t from, RegexScratch& scratch, RegexSpan* spans,
                std::size_t n) const;
    /// Whether any match exists (stops at the first one found).
    bool contains(std::string_view text, RegexScratch& scratch) const;

    /// The VM steps (a thread stepped at a text position) that the searches of one for_each or
    /// replace may take together: 16 x (text length + 1) x program size, at least 10^7. One search
    /// takes at most (text length + 1) x program size; for_each pays more only when its searches
    /// scan the same positions again, each scanning past the match it returns while a
    /// higher-priority thread lives (`a*b|a` on "aaa...": every search finds "a" and runs to the end
    /// of the text, quadratic). Leftmost-first answers need that scan, so the work is capped instead.
    std::size_t work_budget(std::size_t text_size) const;

    /// Every match in ECMAScript global order: after an empty match the next search starts one
    /// character later. f(const RegexSpan* spans) gets groups 0..n-1 and returns false to stop.
    /// Returns too_slow, having stopped, when the searches pass work_budget(text.size()) steps
    /// (the matches seen until then are right); done otherwise.
    template <class F>
    RegexStatus for_each(std::string_view text, RegexScratch& scratch, RegexSpan* spans, std::size_t n,
                         F&& f) const;

    /// Appends `text` with every match replaced by `format` ($& match, $1..$99 groups, $$ '$',
    /// $` before the match, $' after it; ECMAScript's GetSubstitution) to `out`. Stops, and returns
    /// too_long, once `out` is longer than `max_out` (`$\`` and `$'` can make it quadratic in the
    /// text); too_slow as for_each; `out` is then partial.
    RegexStatus replace(std::string_view text, std::string_view format, RegexScratch& scratch,
                        std::string& out, std::size_t max_out = static_cast<std::size_t>(-1)) const;

    enum class Op : std::uint8_t {
        byte,      ///< a == text[p]
        set,       ///< text[p] in sets_[x]
        any,       ///< any byte but '\n' and '\r'
        split,     ///< continue at x, then (lower priority) at y
        jump,      ///< continue at x
        save,      ///< capture slot x = p
        reset,     ///< capture slots [x, y) unset (a new iteration of a repeated group)
        bol,       ///< p == 0
        eol,       ///< p == text size
        word,      ///< \b
        not_word,  ///< \B
        look,      ///< lookahead looks_[x]
        match
    };
    struct Inst {
        Op op;
        unsigned char a = 0;
        std::uint32_t x = 0, y = 0;
    };
    struct Look {
        std::uint32_t start;             ///< first instruction of the body (ends with its own match)
        std::uint32_t slot_lo, slot_hi;  ///< capture slots of the groups inside
        bool negate;
        std::uint32_t end = 0;                         ///< the body's match instruction
        std::uint32_t parts_begin = 0, parts_end = 0;  ///< its body's parts in parts_
    };
    /// A strongly connected part of a lookahead body's non-consuming steps (see the backward pass
    /// in regex.cpp): one instruction, or a cycle of them (a loop whose body can match empty).
    struct LookPart {
        std::uint32_t begin, end;              ///< its instructions in part_order_
        std::uint32_t entry_begin, entry_end;  ///< a cycle's ways in (part_entries_)
        bool cycle;
    };
    struct ByteSet {
        std::uint64_t bits[4] = {0, 0, 0, 0};
        bool has(unsigned char c) const { return (bits[c >> 6] >> (c & 63)) & 1u; }
        void add(unsigned char c) { bits[c >> 6] |= std::uint64_t{1} << (c & 63); }
    };

private:
    friend class RegexCompiler;
    friend struct RegexVm;

    static std::size_t slots_for(std::size_t n, std::size_t slots) {
        return std::max<std::size_t>(2, std::min(2 * n, slots));
    }
    /// Starts matching `text` (n groups wanted): the lookahead tables are empty again.
    void begin(std::string_view text, RegexScratch& scratch, std::size_t n) const;
    /// search() on the text given to begin(), keeping the lookahead tables computed so far.
    bool next(std::string_view text, std::size_t from, RegexScratch& scratch, RegexSpan* spans,
              std::size_t n) const;
    /// Empties the program and its tables (before a compile, and after one that fails).
    void clear_program();

    std::vector<Inst> prog_;
    std::vector<ByteSet> sets_;
    std::vector<Look> looks_;
    std::size_t slots_ = 2;
    // Lookahead bodies, in the order of the backward pass: each body's parts, every part after the
    // parts it steps to; the part of each instruction; the non-consuming steps into each one.
    std::vector<LookPart> parts_;
    std::vector<std::uint32_t> part_order_, part_entries_, part_of_;
    std::vector<std::uint32_t> pred_begin_, preds_;
    // Where a match can start (from the program, at compile time): a search with no thread alive
    // skips the bytes outside `first_`, and a pattern anchored by ^ only starts at 0.
    ByteSet first_;
    bool has_first_ = false;       ///< every match starts with a byte of first_ (or at 0, see bol_path_)
    bool bol_path_ = false;        ///< some path from the start passes ^ (a match may start at 0 anyway)
    bool start_anchored_ = false;  ///< every path from the start passes ^ before consuming
};

/// Per-caller working memory of Regex matching (thread lists and capture arrays). Grows to the
/// largest program it served and is then reused without allocating.
class RegexScratch {
public:
    RegexScratch() = default;

private:
    friend class Regex;
    friend struct RegexVm;
    struct List {
        std::vector<std::uint32_t> sparse, dense;
        std::vector<std::size_t> caps;  ///< nslots per dense entry
        std::size_t size = 0;
    };
    struct Job {
        std::uint32_t pc;
        std::uint32_t slot;  ///< restore job when slot != none
        std::size_t value;
    };
    struct Level {
        List lists[2];
        std::vector<std::size_t> work, best;
        std::vector<Job> stack;
    };
    /// The lookahead tables of the text being matched (see RegexVm::sweep): valid for the
    /// positions [lo, text size]; the slots of positive lookaheads for [block_lo, block_hi).
    struct Looks {
        std::size_t lo = 0;
        std::size_t words = 0;             ///< per lookahead in `holds`
        std::vector<std::uint64_t> holds;  ///< per lookahead and position: the assertion holds
        std::vector<std::size_t> ncap;     ///< per lookahead: group slots it keeps (0: none)
        std::vector<std::size_t> cap_at;   ///< per lookahead: its slots in `caps`
        std::vector<std::size_t> row_at;   ///< per lookahead: its two rows in `rows`
        std::vector<std::size_t> crow_at;  ///< per lookahead: its two rows in `crows`
        std::vector<std::uint8_t> rows;    ///< per body instruction: it leads to the body's match
        std::vector<std::size_t> crows;    ///< per body instruction: the slots of that path
        bool keeps = false;                ///< some lookahead keeps slots
        std::size_t block = 0, block_lo = 0, block_hi = 0;
        std::vector<std::size_t> caps;          ///< per position of the block: a lookahead's slots
        std::size_t ck_rows = 0, ck_crows = 0;  ///< room of the saved rows of one block boundary
        std::vector<std::uint8_t> ck;           ///< per block boundary: `rows` at that position
        std::vector<std::size_t> ckc;           ///< per block boundary: `crows` at that position
        std::vector<std::uint32_t> mark;        ///< per instruction: walk stamp
        std::vector<std::uint32_t> queue;       ///< instructions to visit
        std::vector<std::uint32_t> walk;        ///< a walk's path: (instruction, next step) pairs
        std::vector<std::size_t> tmp;           ///< the slots of one walk
        std::uint32_t stamp = 0;
    };
    Level vm_;
    Looks looks_;
    /// VM steps the searches may still take (see Regex::work_budget; unbounded but in for_each),
    /// and whether a search stopped for want of them.
    std::size_t steps_left_ = static_cast<std::size_t>(-1);
    bool out_of_steps_ = false;
    std::vector<RegexSpan> spans_;
};

template <class F>
RegexStatus Regex::for_each(std::string_view text, RegexScratch& scratch, RegexSpan* spans, std::size_t n,
                            F&& f) const {
    begin(text, scratch, n);  // the lookahead tables serve every search of this text
    scratch.steps_left_ = work_budget(text.size());
    std::size_t at = 0;
    while (at <= text.size() && next(text, at, scratch, spans, n)) {
        if (!f(static_cast<const RegexSpan*>(spans))) return RegexStatus::done;
        at = spans[0].end == spans[0].begin ? spans[0].end + 1 : spans[0].end;
    }
    return scratch.out_of_steps_ ? RegexStatus::too_slow : RegexStatus::done;
}

}  // namespace scorestream::pmml::detail
