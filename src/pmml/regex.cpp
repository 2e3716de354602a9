// The Regex compiler (pattern -> syntax tree -> Pike VM program) and the VM.
//
// Compilation is two passes over a small syntax tree: the first computes the size the program
// would have (counted repetitions copy their body), so that `(a{1000}){1000}` is refused before
// anything is allocated for it; the second emits the program. Parsing recurses over the pattern's
// nesting, which is bounded (Regex::max_nesting); matching never recurses over the text.

#include "regex.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <utility>

namespace scorestream::pmml::detail {
namespace {

constexpr std::size_t npos = RegexSpan::npos;
constexpr std::uint32_t no_slot = 0xffffffffu;

bool is_word(unsigned char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}
bool is_digit(unsigned char c) { return c >= '0' && c <= '9'; }
bool is_space(unsigned char c) { return c == ' ' || (c >= '\t' && c <= '\r'); }
bool is_alpha(unsigned char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
unsigned char other_case(unsigned char c) {
    if (c >= 'a' && c <= 'z') return static_cast<unsigned char>(c - 'a' + 'A');
    if (c >= 'A' && c <= 'Z') return static_cast<unsigned char>(c - 'A' + 'a');
    return c;
}
int hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

using ByteSet = Regex::ByteSet;

ByteSet class_set(char kind) {
    ByteSet s;
    for (int c = 0; c < 256; ++c) {
        auto u = static_cast<unsigned char>(c);
        bool in = false;
        switch (kind) {
            case 'd':
            case 'D':
                in = is_digit(u);
                break;
            case 'w':
            case 'W':
                in = is_word(u);
                break;
            default:
                in = is_space(u);
                break;
        }
        if (kind == 'D' || kind == 'W' || kind == 'S') in = !in;
        if (in) s.add(u);
    }
    return s;
}

struct Node {
    enum Kind : std::uint8_t {
        empty,
        byte,
        set,
        any,
        cat,
        alt,
        repeat,
        group,
        bol,
        eol,
        word,
        not_word,
        look
    };
    Kind kind = empty;
    unsigned char c = 0;
    bool greedy = true;
    bool negate = false;
    std::uint32_t index = 0;                   ///< set index, group number, or look index
    std::uint32_t min = 0, max = 0;            ///< repeat bounds (max == unbounded: no upper bound)
    std::uint32_t group_lo = 0, group_hi = 0;  ///< capturing groups inside [lo, hi)
    std::vector<int> kids;
};
constexpr std::uint32_t unbounded = 0xffffffffu;

/// The steps out of instruction `in` at `pc` that consume no byte, in priority order: none out of a
/// consuming instruction or a match; save, reset and the assertions go on to the next one (whether
/// an assertion holds is the caller's to ask).
int non_consuming_steps(const Regex::Inst& in, std::uint32_t pc, std::uint32_t* to) {
    switch (in.op) {
        case Regex::Op::byte:
        case Regex::Op::set:
        case Regex::Op::any:
        case Regex::Op::match:
            return 0;
        case Regex::Op::split:
            to[0] = in.x;
            to[1] = in.y;
            return 2;
        case Regex::Op::jump:
            to[0] = in.x;
            return 1;
        default:
            to[0] = pc + 1;
            return 1;
    }
}

}  // namespace

/// Recursive-descent parser of the pattern into Nodes, then the program emitter.
class RegexCompiler {
public:
    RegexCompiler(std::string_view pattern, bool icase, Regex& out, RegexError& error)
        : p_(pattern), icase_(icase), re_(out), error_(error) {}

    bool compile() {
        int root = alternation(0);
        if (failed_) return false;
        if (at_ < p_.size()) return fail_malformed("unmatched ')'");
        re_.slots_ = 2 * (static_cast<std::size_t>(groups_) + 1);
        std::uint64_t size = 4 + program_size(root);
        if (size > Regex::max_instructions)
            return fail_at(RegexError::Kind::unsupported, 0,
                           "regular expression too large: its program would exceed " +
                               std::to_string(Regex::max_instructions) +
                               " instructions (counted repetitions copy their body)");
        if (size * re_.slots_ > Regex::max_capture_cells)
            return fail_at(RegexError::Kind::unsupported, 0,
                           "regular expression too large: too many groups for its size");
        auto& prog = re_.prog_;
        prog.reserve(static_cast<std::size_t>(size));
        emit_op(Regex::Op::save, 0);
        emit(root);
        emit_op(Regex::Op::save, 1);
        emit_op(Regex::Op::match);
        // Lookahead bodies after the main program (a body may queue nested ones).
        for (std::size_t i = 0; i < pending_looks_.size(); ++i) {
            int node = pending_looks_[i];
            const Node& n = nodes_[static_cast<std::size_t>(node)];
            re_.looks_[n.index].start = static_cast<std::uint32_t>(prog.size());
            emit(n.kids[0]);
            emit_op(Regex::Op::match);
        }
        analyze_start();
        analyze_looks();
        return true;
    }

    /// The non-consuming steps out of `pc` (none out of a consuming instruction or a match).
    int steps(std::uint32_t pc, std::uint32_t* to) const {
        return non_consuming_steps(re_.prog_[pc], pc, to);
    }

    /// Prepares the backward pass over each lookahead body (see RegexVm::sweep): the body's
    /// strongly connected parts of non-consuming steps (Tarjan's algorithm with an explicit
    /// stack), each part listed after the parts it steps to; a cycle's ways in.
    void analyze_looks() {
        if (re_.looks_.empty()) return;
        const auto& prog = re_.prog_;
        const auto m = static_cast<std::uint32_t>(prog.size());
        constexpr std::uint32_t none = 0xffffffffu;
        std::uint32_t to[2];
        re_.pred_begin_.assign(m + 1, 0);
        for (std::uint32_t pc = 0; pc < m; ++pc)
            for (int k = steps(pc, to); k-- > 0;) ++re_.pred_begin_[to[k] + 1];
        for (std::uint32_t pc = 0; pc < m; ++pc) re_.pred_begin_[pc + 1] += re_.pred_begin_[pc];
        re_.preds_.assign(re_.pred_begin_[m], 0);
        std::vector<std::uint32_t> fill(re_.pred_begin_.begin(), re_.pred_begin_.end() - 1);
        for (std::uint32_t pc = 0; pc < m; ++pc)
            for (int k = steps(pc, to); k-- > 0;) re_.preds_[fill[to[k]]++] = pc;
        re_.part_of_.assign(m, none);
        std::vector<std::uint32_t> index(m, none), low(m, 0), stack, calls;
        std::vector<bool> on_stack(m, false);
        for (auto& lk : re_.looks_) {
            std::uint32_t end = lk.start;
            while (prog[end].op != Regex::Op::match) ++end;
            lk.end = end;
            lk.parts_begin = static_cast<std::uint32_t>(re_.parts_.size());
            std::uint32_t counter = 0;
            for (std::uint32_t root = lk.start; root <= end; ++root) {
                if (index[root] != none) continue;
                auto enter = [&](std::uint32_t v) {
                    index[v] = low[v] = counter++;
                    stack.push_back(v);
                    on_stack[v] = true;
                    calls.push_back(v);
                    calls.push_back(0);
                };
                enter(root);
                while (!calls.empty()) {
                    std::uint32_t v = calls[calls.size() - 2];
                    std::uint32_t& k = calls.back();
                    int n = steps(v, to);
                    if (static_cast<int>(k) < n) {
                        std::uint32_t w = to[k++];
                        if (index[w] == none)
                            enter(w);
                        else if (on_stack[w])
                            low[v] = std::min(low[v], index[w]);
                        continue;
                    }
                    calls.resize(calls.size() - 2);
                    if (!calls.empty()) {
                        std::uint32_t u = calls[calls.size() - 2];
                        low[u] = std::min(low[u], low[v]);
                    }
                    if (low[v] != index[v]) continue;
                    Regex::LookPart part{};
                    part.begin = static_cast<std::uint32_t>(re_.part_order_.size());
                    const auto id = static_cast<std::uint32_t>(re_.parts_.size());
                    std::uint32_t w;
                    do {
                        w = stack.back();
                        stack.pop_back();
                        on_stack[w] = false;
                        re_.part_order_.push_back(w);
                        re_.part_of_[w] = id;
                    } while (w != v);
                    part.end = static_cast<std::uint32_t>(re_.part_order_.size());
                    part.cycle = part.end - part.begin > 1;
                    for (int j = steps(v, to); j-- > 0;) part.cycle |= to[j] == v;
                    re_.parts_.push_back(part);
                }
            }
            lk.parts_end = static_cast<std::uint32_t>(re_.parts_.size());
            // A walk through a cycle starts where a path comes into it: the body's start, after a
            // consuming instruction (from the next position), or from an instruction outside it.
            for (std::uint32_t id = lk.parts_begin; id < lk.parts_end; ++id) {
                auto& part = re_.parts_[id];
                part.entry_begin = part.entry_end = static_cast<std::uint32_t>(re_.part_entries_.size());
                if (!part.cycle) continue;
                for (std::uint32_t i = part.begin; i < part.end; ++i) {
                    std::uint32_t v = re_.part_order_[i];
                    bool entry = v == lk.start || (v > lk.start && is_consuming(prog[v - 1].op));
                    for (std::uint32_t j = re_.pred_begin_[v]; j < re_.pred_begin_[v + 1]; ++j)
                        entry |= re_.part_of_[re_.preds_[j]] != id;
                    if (entry) re_.part_entries_.push_back(v);
                }
                part.entry_end = static_cast<std::uint32_t>(re_.part_entries_.size());
            }
        }
    }

    static bool is_consuming(Regex::Op op) {
        return op == Regex::Op::byte || op == Regex::Op::set || op == Regex::Op::any;
    }

    /// Follows the non-consuming steps from the program start: the bytes a match can start with,
    /// whether a match can be empty, whether every path passes ^ first. Assertions other than ^
    /// only narrow where a match starts, so following them keeps first_ a superset.
    void analyze_start() {
        const auto& prog = re_.prog_;
        std::vector<bool> seen(prog.size(), false);
        std::vector<std::uint32_t> stack = {0};
        bool consumes = false, empty = false, bol = false;
        ByteSet first;
        while (!stack.empty()) {
            std::uint32_t pc = stack.back();
            stack.pop_back();
            if (pc >= prog.size() || seen[pc]) continue;
            seen[pc] = true;
            const Regex::Inst& in = prog[pc];
            switch (in.op) {
                case Regex::Op::split:
                    stack.push_back(in.y);
                    stack.push_back(in.x);
                    break;
                case Regex::Op::jump:
                    stack.push_back(in.x);
                    break;
                case Regex::Op::bol:
                    bol = true;
                    break;
                case Regex::Op::match:
                    empty = true;
                    break;
                case Regex::Op::byte:
                    consumes = true;
                    first.add(in.a);
                    break;
                case Regex::Op::set:
                    consumes = true;
                    for (int w = 0; w < 4; ++w) first.bits[w] |= re_.sets_[in.x].bits[w];
                    break;
                case Regex::Op::any:
                    consumes = true;
                    for (int c = 0; c < 256; ++c)
                        if (c != '\n' && c != '\r') first.add(static_cast<unsigned char>(c));
                    break;
                default:  // save, reset, eol, word, not_word, look
                    stack.push_back(pc + 1);
                    break;
            }
        }
        re_.start_anchored_ = bol && !consumes && !empty;
        re_.has_first_ = !empty && consumes;
        re_.bol_path_ = bol;
        re_.first_ = first;
    }

private:
    // --- errors ---
    bool fail_at(RegexError::Kind kind, std::size_t offset, std::string msg) {
        if (!failed_) {
            failed_ = true;
            error_.kind = kind;
            error_.offset = offset;
            error_.message = std::move(msg);
        }
        return false;
    }
    bool fail_malformed(std::string msg) { return fail_at(RegexError::Kind::malformed, at_, std::move(msg)); }
    bool fail_unsupported(std::size_t offset, std::string msg) {
        return fail_at(RegexError::Kind::unsupported, offset, std::move(msg));
    }

    // --- nodes ---
    int add(Node n) {
        nodes_.push_back(std::move(n));
        return static_cast<int>(nodes_.size() - 1);
    }
    int leaf(Node::Kind k) {
        Node n;
        n.kind = k;
        return add(std::move(n));
    }
    int byte_node(unsigned char c) {
        if (icase_ && is_alpha(c)) {
            ByteSet s;
            s.add(c);
            s.add(other_case(c));
            return set_node(s);
        }
        Node n;
        n.kind = Node::byte;
        n.c = c;
        return add(std::move(n));
    }
    int set_node(const ByteSet& s) {
        Node n;
        n.kind = Node::set;
        n.index = static_cast<std::uint32_t>(re_.sets_.size());
        re_.sets_.push_back(s);
        return add(std::move(n));
    }

    bool more() const { return at_ < p_.size(); }
    char peek() const { return p_[at_]; }

    // --- grammar ---
    int alternation(int depth) {
        if (depth > Regex::max_nesting) {
            fail_unsupported(at_, "regular expression nested more than " +
                                      std::to_string(Regex::max_nesting) + " levels deep");
            return -1;
        }
        Node alt;
        alt.kind = Node::alt;
        alt.kids.push_back(sequence(depth));
        while (!failed_ && more() && peek() == '|') {
            ++at_;
            alt.kids.push_back(sequence(depth));
        }
        if (failed_) return -1;
        if (alt.kids.size() == 1) return alt.kids[0];
        return add(std::move(alt));
    }

    int sequence(int depth) {
        Node cat;
        cat.kind = Node::cat;
        while (!failed_ && more() && peek() != '|' && peek() != ')') {
            int a = atom(depth);
            if (failed_) return -1;
            a = quantified(a);
            if (failed_) return -1;
            cat.kids.push_back(a);
        }
        if (cat.kids.empty()) return leaf(Node::empty);
        if (cat.kids.size() == 1) return cat.kids[0];
        return add(std::move(cat));
    }

    /// Reads digits as a bounded count (saturates: a huge count is refused by the size check).
    bool number(std::uint32_t& v) {
        std::size_t start = at_;
        std::uint64_t x = 0;
        while (more() && is_digit(static_cast<unsigned char>(peek()))) {
            x = std::min<std::uint64_t>(x * 10 + static_cast<std::uint64_t>(peek() - '0'), 1u << 30);
            ++at_;
        }
        v = static_cast<std::uint32_t>(x);
        return at_ > start;
    }

    int quantified(int a) {
        if (!more()) return a;
        std::size_t start = at_;
        std::uint32_t lo = 0, hi = 0;
        char q = peek();
        if (q == '*') {
            lo = 0, hi = unbounded, ++at_;
        } else if (q == '+') {
            lo = 1, hi = unbounded, ++at_;
        } else if (q == '?') {
            lo = 0, hi = 1, ++at_;
        } else if (q == '{') {
            ++at_;
            if (!number(lo)) return fail_malformed("'{' without a repetition count"), -1;
            hi = lo;
            if (more() && peek() == ',') {
                ++at_;
                hi = unbounded;
                if (more() && peek() != '}') {
                    if (!number(hi)) return fail_malformed("bad {n,m} repetition"), -1;
                }
            }
            if (!more() || peek() != '}') return fail_malformed("'{' repetition without its '}'"), -1;
            ++at_;
            if (hi < lo)
                return fail_at(RegexError::Kind::malformed, start, "repetition {n,m} with m < n"), -1;
        } else {
            return a;
        }
        Node::Kind k = nodes_[static_cast<std::size_t>(a)].kind;
        if (k == Node::bol || k == Node::eol || k == Node::word || k == Node::not_word || k == Node::look ||
            k == Node::empty)
            return fail_at(RegexError::Kind::malformed, start,
                           "nothing to repeat before '" + std::string(1, q) + "'"),
                   -1;
        Node r;
        r.kind = Node::repeat;
        r.min = lo;
        r.max = hi;
        if (more() && peek() == '?') {
            r.greedy = false;
            ++at_;
        }
        if (more() && (peek() == '*' || peek() == '+' || peek() == '?' || peek() == '{'))
            return fail_malformed("a quantifier after a quantifier"), -1;
        r.group_lo = group_lo_of(a);
        r.group_hi = group_hi_of(a);
        r.kids.push_back(a);
        return add(std::move(r));
    }

    std::uint32_t group_lo_of(int a) const { return nodes_[static_cast<std::size_t>(a)].group_lo; }
    std::uint32_t group_hi_of(int a) const { return nodes_[static_cast<std::size_t>(a)].group_hi; }

    int atom(int depth) {
        std::size_t start = at_;
        char ch = peek();
        ++at_;
        switch (ch) {
            case '^':
                return leaf(Node::bol);
            case '$':
                return leaf(Node::eol);
            case '.':
                return leaf(Node::any);
            case '[':
                return bracket();
            case '(':
                return group(start, depth);
            case ')':
                return fail_at(RegexError::Kind::malformed, start, "unmatched ')'"), -1;
            case '*':
            case '+':
            case '?':
                return fail_at(RegexError::Kind::malformed, start,
                               "nothing to repeat before '" + std::string(1, ch) + "'"),
                       -1;
            case '{':
                return fail_at(RegexError::Kind::malformed, start, "'{' without anything to repeat"), -1;
            case '\\':
                return escape(start);
            default:
                return byte_node(static_cast<unsigned char>(ch));
        }
    }

    int group(std::size_t start, int depth) {
        bool capture = true, is_look = false, negate = false;
        if (more() && peek() == '?') {
            std::string_view rest = p_.substr(at_);
            if (rest.substr(0, 2) == "?:") {
                capture = false;
                at_ += 2;
            } else if (rest.substr(0, 2) == "?=" || rest.substr(0, 2) == "?!") {
                capture = false;
                is_look = true;
                negate = rest[1] == '!';
                at_ += 2;
            } else if (rest.substr(0, 3) == "?<=" || rest.substr(0, 3) == "?<!") {
                return fail_unsupported(start, "lookbehind '(" + std::string(rest.substr(0, 3)) +
                                                   "...)' is not supported"),
                       -1;
            } else if (rest.substr(0, 2) == "?<" || rest.substr(0, 2) == "?P") {
                return fail_unsupported(start, "named group '(" + std::string(rest.substr(0, 2)) +
                                                   "...)' is not supported"),
                       -1;
            } else {
                std::size_t len = std::min<std::size_t>(rest.size(), 2);
                return fail_unsupported(start,
                                        "group '(" + std::string(rest.substr(0, len)) +
                                            "...)' (inline flags or other extensions) is not supported"),
                       -1;
            }
        }
        std::uint32_t number = 0, lo = groups_ + 1;
        if (capture) {
            if (groups_ >= Regex::max_groups)
                return fail_unsupported(
                           start, "more than " + std::to_string(Regex::max_groups) + " capturing groups"),
                       -1;
            number = ++groups_;
        }
        if (is_look && look_depth_ >= Regex::max_look_nesting)
            return fail_unsupported(start, "lookahead nested more than " +
                                               std::to_string(Regex::max_look_nesting) + " deep"),
                   -1;
        if (is_look) ++look_depth_;
        int body = alternation(depth + 1);
        if (is_look) --look_depth_;
        if (failed_) return -1;
        if (!more() || peek() != ')')
            return fail_at(RegexError::Kind::malformed, start, "'(' without its ')'"), -1;
        ++at_;
        std::uint32_t hi = groups_ + 1;
        Node n;
        n.kids.push_back(body);
        n.group_lo = lo;
        n.group_hi = hi;
        if (is_look) {
            n.kind = Node::look;
            n.negate = negate;
            n.index = static_cast<std::uint32_t>(re_.looks_.size());
            re_.looks_.push_back({0, 2 * lo, 2 * hi, negate});
            return add(std::move(n));
        }
        if (!capture) {
            // A plain (?:...) only groups; keep its group range for the repeat around it.
            Node& b = nodes_[static_cast<std::size_t>(body)];
            if (b.kind == Node::empty || b.kind == Node::bol || b.kind == Node::eol || b.kind == Node::word ||
                b.kind == Node::not_word || b.kind == Node::look) {
                // Wrapping keeps "(?:^)*"-style patterns repeatable, as ECMAScript allows for groups.
                Node c;
                c.kind = Node::cat;
                c.kids.push_back(body);
                c.group_lo = lo;
                c.group_hi = hi;
                return add(std::move(c));
            }
            b.group_lo = lo;
            b.group_hi = hi;
            return body;
        }
        n.kind = Node::group;
        n.index = number;
        return add(std::move(n));
    }

    /// An escape outside brackets.
    int escape(std::size_t start) {
        if (!more()) return fail_at(RegexError::Kind::malformed, start, "'\\' at the end of the pattern"), -1;
        char e = peek();
        switch (e) {
            case 'b':
                ++at_;
                return leaf(Node::word);
            case 'B':
                ++at_;
                return leaf(Node::not_word);
            case 'd':
            case 'D':
            case 'w':
            case 'W':
            case 's':
            case 'S':
                ++at_;
                return set_node(class_set(e));
            default:
                break;
        }
        int c = escaped_char(start, false);
        if (c < 0) return -1;
        return byte_node(static_cast<unsigned char>(c));
    }

    /// The character of a character escape (at_ is just after the backslash); -1 on failure.
    int escaped_char(std::size_t start, bool in_class) {
        char e = peek();
        ++at_;
        switch (e) {
            case 't':
                return '\t';
            case 'n':
                return '\n';
            case 'r':
                return '\r';
            case 'f':
                return '\f';
            case 'v':
                return '\v';
            case '0':
                if (more() && is_digit(static_cast<unsigned char>(peek())))
                    return fail_unsupported(
                               start, "octal escape '\\0" + std::string(1, peek()) + "' is not supported"),
                           -1;
                return 0;
            case 'x':
            case 'u': {
                std::size_t digits = e == 'x' ? 2 : 4;
                if (e == 'u' && more() && peek() == '{')
                    return fail_unsupported(start, "'\\u{...}' escape is not supported"), -1;
                int v = 0;
                for (std::size_t i = 0; i < digits; ++i) {
                    int h = more() ? hex_value(peek()) : -1;
                    if (h < 0)
                        return fail_at(RegexError::Kind::malformed, start,
                                       std::string("'\\") + e + "' needs " + std::to_string(digits) +
                                           " hexadecimal digits"),
                               -1;
                    v = v * 16 + h;
                    ++at_;
                }
                if (v >= 0x80)
                    return fail_unsupported(start, "escape '" + std::string(p_.substr(start, at_ - start)) +
                                                       "' of a non-ASCII character is not supported"),
                           -1;
                return v;
            }
            case 'b':  // only reached inside brackets: backspace
                return '\b';
            default:
                break;
        }
        auto u = static_cast<unsigned char>(e);
        if (e >= '1' && e <= '9')
            return fail_unsupported(
                       start, in_class ? "octal escape '\\" + std::string(1, e) + "' is not supported"
                                       : "backreference '\\" + std::string(1, e) + "' is not supported"),
                   -1;
        if (e == 'p' || e == 'P')
            return fail_unsupported(start,
                                    "Unicode property class '\\" + std::string(1, e) + "' is not supported"),
                   -1;
        if (e == 'k') return fail_unsupported(start, "named backreference '\\k' is not supported"), -1;
        if (e == 'c') return fail_unsupported(start, "control escape '\\c' is not supported"), -1;
        if (u >= 0x80 || is_word(u))
            return fail_unsupported(start, "escape '\\" + std::string(1, e) + "' is not supported"), -1;
        return u;  // an escaped metacharacter or other punctuation stands for itself
    }

    int bracket() {
        std::size_t start = at_ - 1;
        bool negate = false;
        if (more() && peek() == '^') {
            negate = true;
            ++at_;
        }
        ByteSet s;
        for (;;) {
            if (!more()) return fail_at(RegexError::Kind::malformed, start, "'[' without its ']'"), -1;
            if (peek() == ']') {
                ++at_;
                break;
            }
            ByteSet cls;
            int lo = class_atom(cls);
            if (failed_) return -1;
            if (lo >= 0 && at_ + 1 < p_.size() && peek() == '-' && p_[at_ + 1] != ']') {
                std::size_t dash = at_;
                ++at_;
                ByteSet cls2;
                int hi = class_atom(cls2);
                if (failed_) return -1;
                if (hi < 0) {
                    // "[a-\d]": the dash is literal next to a class escape.
                    s.add(static_cast<unsigned char>(lo));
                    s.add('-');
                    for (int w = 0; w < 4; ++w) s.bits[w] |= cls2.bits[w];
                    continue;
                }
                if (hi < lo)
                    return fail_at(RegexError::Kind::malformed, dash, "character range out of order"), -1;
                for (int c = lo; c <= hi; ++c) s.add(static_cast<unsigned char>(c));
                continue;
            }
            if (lo >= 0)
                s.add(static_cast<unsigned char>(lo));
            else
                for (int w = 0; w < 4; ++w) s.bits[w] |= cls.bits[w];
        }
        if (icase_)
            for (int c = 0; c < 256; ++c) {
                auto u = static_cast<unsigned char>(c);
                if (s.has(u)) s.add(other_case(u));
            }
        if (negate)
            for (int w = 0; w < 4; ++w) s.bits[w] = ~s.bits[w];
        return set_node(s);
    }

    /// One member of a bracket: a character (returned) or a class escape (-1, added to `cls`).
    int class_atom(ByteSet& cls) {
        std::size_t start = at_;
        char ch = peek();
        ++at_;
        if (ch == '[' && more() && (peek() == ':' || peek() == '.' || peek() == '=')) {
            fail_unsupported(start,
                             "POSIX bracket expression '[" + std::string(1, peek()) + "' is not supported");
            return -1;
        }
        if (ch != '\\') return static_cast<unsigned char>(ch);
        if (!more()) {
            fail_at(RegexError::Kind::malformed, start, "'\\' at the end of the pattern");
            return -1;
        }
        char e = peek();
        if (std::strchr("dDwWsS", e) != nullptr && e != '\0') {
            ++at_;
            cls = class_set(e);
            return -1;
        }
        if (e == 'B') {
            fail_unsupported(start, "'\\B' inside brackets is not supported");
            return -1;
        }
        return escaped_char(start, true);
    }

    // --- size and emission ---
    static constexpr std::uint64_t cap = std::uint64_t{1} << 40;
    static std::uint64_t sat(std::uint64_t v) { return std::min(v, cap); }
    static std::uint64_t mul(std::uint64_t a, std::uint64_t b) { return a != 0 && b > cap / a ? cap : a * b; }

    std::uint64_t program_size(int id) const {
        const Node& n = nodes_[static_cast<std::size_t>(id)];
        switch (n.kind) {
            case Node::empty:
                return 0;
            case Node::cat: {
                std::uint64_t s = 0;
                for (int k : n.kids) s = sat(s + program_size(k));
                return s;
            }
            case Node::alt: {
                std::uint64_t s = 2 * (n.kids.size() - 1);
                for (int k : n.kids) s = sat(s + program_size(k));
                return s;
            }
            case Node::group:
                return sat(2 + program_size(n.kids[0]));
            case Node::look:
                return sat(2 + program_size(n.kids[0]));
            case Node::repeat: {
                std::uint64_t b = sat(program_size(n.kids[0]) + (n.group_hi > n.group_lo ? 1 : 0));
                std::uint64_t s;
                if (n.max == unbounded)
                    s = n.min == 0 ? b + 2 : sat(mul(n.min, b) + 1);
                else
                    s = sat(mul(n.min, b) + mul(n.max - n.min, b + 1));
                return s;
            }
            default:
                return 1;
        }
    }

    std::uint32_t here() const { return static_cast<std::uint32_t>(re_.prog_.size()); }
    std::uint32_t emit_op(Regex::Op op, std::uint32_t x = 0, std::uint32_t y = 0) {
        Regex::Inst in;
        in.op = op;
        in.x = x;
        in.y = y;
        re_.prog_.push_back(in);
        return here() - 1;
    }

    void emit_body(const Node& rep) {
        if (rep.group_hi > rep.group_lo) emit_op(Regex::Op::reset, 2 * rep.group_lo, 2 * rep.group_hi);
        emit(rep.kids[0]);
    }

    void emit(int id) {
        const Node& n = nodes_[static_cast<std::size_t>(id)];
        auto& prog = re_.prog_;
        switch (n.kind) {
            case Node::empty:
                return;
            case Node::byte: {
                auto at = emit_op(Regex::Op::byte);
                prog[at].a = n.c;
                return;
            }
            case Node::set:
                emit_op(Regex::Op::set, n.index);
                return;
            case Node::any:
                emit_op(Regex::Op::any);
                return;
            case Node::bol:
                emit_op(Regex::Op::bol);
                return;
            case Node::eol:
                emit_op(Regex::Op::eol);
                return;
            case Node::word:
                emit_op(Regex::Op::word);
                return;
            case Node::not_word:
                emit_op(Regex::Op::not_word);
                return;
            case Node::look:
                emit_op(Regex::Op::look, n.index);
                pending_looks_.push_back(id);
                return;
            case Node::cat:
                for (int k : n.kids) emit(k);
                return;
            case Node::group:
                emit_op(Regex::Op::save, 2 * n.index);
                emit(n.kids[0]);
                emit_op(Regex::Op::save, 2 * n.index + 1);
                return;
            case Node::alt: {
                std::vector<std::uint32_t> jumps;
                for (std::size_t i = 0; i < n.kids.size(); ++i) {
                    if (i + 1 < n.kids.size()) {
                        auto split = emit_op(Regex::Op::split);
                        prog[split].x = here();
                        emit(n.kids[i]);
                        jumps.push_back(emit_op(Regex::Op::jump));
                        prog[split].y = here();
                    } else {
                        emit(n.kids[i]);
                    }
                }
                for (auto j : jumps) prog[j].x = here();
                return;
            }
            case Node::repeat: {
                for (std::uint32_t i = 0; i + 1 < n.min || (i < n.min && n.max != unbounded); ++i)
                    emit_body(n);
                if (n.max == unbounded) {
                    if (n.min == 0) {
                        auto split = emit_op(Regex::Op::split);
                        emit_body(n);
                        emit_op(Regex::Op::jump, split);
                        set_split(split, split + 1, here(), n.greedy);
                    } else {
                        auto loop = here();
                        emit_body(n);
                        auto split = emit_op(Regex::Op::split);
                        set_split(split, loop, here(), n.greedy);
                    }
                    return;
                }
                std::vector<std::uint32_t> splits;
                for (std::uint32_t i = n.min; i < n.max; ++i) {
                    splits.push_back(emit_op(Regex::Op::split));
                    emit_body(n);
                }
                for (auto s : splits) set_split(s, s + 1, here(), n.greedy);
                return;
            }
        }
    }

    void set_split(std::uint32_t at, std::uint32_t body, std::uint32_t out, bool greedy) {
        auto& in = re_.prog_[at];
        in.x = greedy ? body : out;
        in.y = greedy ? out : body;
    }

    std::string_view p_;
    bool icase_;
    Regex& re_;
    RegexError& error_;
    std::size_t at_ = 0;
    bool failed_ = false;
    std::uint32_t groups_ = 0;
    int look_depth_ = 0;
    std::vector<Node> nodes_;
    std::vector<int> pending_looks_;
};

void Regex::clear_program() {
    prog_.clear();
    sets_.clear();
    looks_.clear();
    parts_.clear();
    part_order_.clear();
    part_entries_.clear();
    part_of_.clear();
    pred_begin_.clear();
    preds_.clear();
}

bool Regex::compile(std::string_view pattern, bool icase, RegexError& error) {
    clear_program();
    slots_ = 2;
    first_ = ByteSet{};
    has_first_ = start_anchored_ = bol_path_ = false;
    error = RegexError{};
    RegexCompiler c(pattern, icase, *this, error);
    if (c.compile()) return true;
    clear_program();
    return false;
}

/// One search: the Pike VM over a Regex program with a scratch.
struct RegexVm {
    const Regex& re;
    std::string_view text;
    RegexScratch& s;
    std::size_t nslots;

    using List = RegexScratch::List;
    using Level = RegexScratch::Level;
    using Job = RegexScratch::Job;
    using Looks = RegexScratch::Looks;

    /// In the backward pass, a slot that no instruction of the path from here on writes.
    static constexpr std::size_t unwritten = npos - 1;
    static constexpr std::uint32_t none = 0xffffffffu;

    void prepare() {
        std::size_t n = re.prog_.size();
        Level& lv = s.vm_;
        for (List& l : lv.lists) {
            if (l.sparse.size() < n) {
                l.sparse.resize(n);
                l.dense.resize(n);
            }
            if (l.caps.size() < n * nslots) l.caps.resize(n * nslots);
            l.size = 0;
        }
        if (lv.work.size() < nslots) {
            lv.work.resize(nslots);
            lv.best.resize(nslots);
        }
    }

    static bool has(const List& l, std::uint32_t pc) {
        std::uint32_t i = l.sparse[pc];
        return i < l.size && l.dense[i] == pc;
    }

    bool at_word(std::size_t p) const {
        return p < text.size() && is_word(static_cast<unsigned char>(text[p]));
    }
    bool boundary(std::size_t p) const { return (p > 0 && at_word(p - 1)) != at_word(p); }

    /// Adds the thread at `pc` (captures in lv.work) and everything it reaches without consuming
    /// input, in priority order, to `l`. An explicit stack: no recursion over the program.
    void add(List& l, std::uint32_t pc0, std::size_t p, Level& lv) {
        auto& st = lv.stack;
        st.clear();
        st.push_back({pc0, no_slot, 0});
        while (!st.empty()) {
            Job j = st.back();
            st.pop_back();
            if (j.slot != no_slot) {
                lv.work[j.slot] = j.value;
                continue;
            }
            std::uint32_t pc = j.pc;
            for (;;) {
                if (has(l, pc)) break;
                auto idx = static_cast<std::uint32_t>(l.size++);
                l.sparse[pc] = idx;
                l.dense[idx] = pc;
                const Regex::Inst& in = re.prog_[pc];
                bool go = true;
                switch (in.op) {
                    case Regex::Op::jump:
                        pc = in.x;
                        continue;
                    case Regex::Op::split:
                        st.push_back({in.y, no_slot, 0});
                        pc = in.x;
                        continue;
                    case Regex::Op::save:
                        if (in.x < nslots) {
                            st.push_back({0, in.x, lv.work[in.x]});
                            lv.work[in.x] = p;
                        }
                        break;
                    case Regex::Op::reset:
                        for (std::uint32_t k = in.x; k < in.y && k < nslots; ++k)
                            if (lv.work[k] != npos) {
                                st.push_back({0, k, lv.work[k]});
                                lv.work[k] = npos;
                            }
                        break;
                    case Regex::Op::bol:
                        go = p == 0;
                        break;
                    case Regex::Op::eol:
                        go = p == text.size();
                        break;
                    case Regex::Op::word:
                        go = boundary(p);
                        break;
                    case Regex::Op::not_word:
                        go = !boundary(p);
                        break;
                    case Regex::Op::look:
                        go = look(in.x, p, lv);
                        break;
                    default:  // consumes input or matches: a thread of the list
                        std::copy(lv.work.begin(), lv.work.begin() + static_cast<std::ptrdiff_t>(nslots),
                                  l.caps.begin() + static_cast<std::ptrdiff_t>(idx * nslots));
                        go = false;
                        break;
                }
                if (!go) break;
                ++pc;
            }
        }
    }

    /// Lookahead `i` at `p`, from the tables (extended down to `p` first); a positive one puts the
    /// captures of its body's match into lv.work (restored with the thread's other slots).
    bool look(std::uint32_t i, std::size_t p, Level& lv) {
        Looks& t = s.looks_;
        if (p < t.lo) sweep(p);
        if (!holds(i, p)) return false;
        const std::size_t nc = t.ncap[i];
        if (nc == 0) return true;
        if (p < t.block_lo || p >= t.block_hi) load_block(p / t.block);
        const std::size_t* c = t.caps.data() + t.cap_at[i] + (p - t.block_lo) * nc;
        const std::uint32_t lo = re.looks_[i].slot_lo;
        for (std::size_t j = 0; j < nc; ++j) {
            const auto k = static_cast<std::uint32_t>(lo + j);
            if (lv.work[k] != c[j]) {
                lv.stack.push_back({0, k, lv.work[k]});
                lv.work[k] = c[j];
            }
        }
        return true;
    }

    // --- The lookahead tables: a backward pass over the text ---
    //
    // At position q, an instruction of a body leads to the body's match when: it is the match; it
    // consumes text[q] and the next instruction leads there from q + 1; it is a split and one of
    // its ways does; it is a jump, save or reset and where it goes does; it is an assertion that
    // holds at q (a nested lookahead: its own table at q, computed just before) and the next
    // instruction does. The lookahead holds at q when its first instruction leads to the match
    // (negated for (?!...)). Each position needs only the rows of q and q + 1.
    //
    // Captures follow the VM's answer: the highest-priority path, i.e. the one a backtracking
    // matcher finds first, except that a path never comes back to an instruction it already
    // passed at the same position (the VM keeps one thread per instruction and position). A path
    // through a position enters it fresh (after a consuming step, or at the body's start), so the
    // slots an instruction leads to at q depend on q and the instruction only: a split takes its
    // first way that leads to the match, a consuming instruction the slots of its successor at
    // q + 1, and a save writes q where the rest of the path does not write that slot. Within a
    // cycle of non-consuming steps (a loop whose body can match empty) the path also depends on
    // where it came into the cycle: each way in is walked as the VM would, in priority order,
    // skipping instructions already passed, until a way out of the cycle that leads to the match.
    // The parts of a body are processed after the parts they step to (RegexCompiler::analyze_looks).
    //
    // The slots of positive lookaheads are kept for one block of positions at a time; the rows at
    // every block boundary are saved, so that another block is recomputed from there.

    bool holds(std::uint32_t i, std::size_t q) const {
        const Looks& t = s.looks_;
        return (t.holds[i * t.words + (q >> 6)] >> (q & 63)) & 1u;
    }

    /// Whether the non-consuming instruction `in` lets a path through at q.
    bool passes(const Regex::Inst& in, std::size_t q) const {
        switch (in.op) {
            case Regex::Op::bol:
                return q == 0;
            case Regex::Op::eol:
                return q == text.size();
            case Regex::Op::word:
                return boundary(q);
            case Regex::Op::not_word:
                return !boundary(q);
            case Regex::Op::look:
                return holds(in.x, q);
            default:
                return true;
        }
    }

    /// The steps out of the non-consuming `pc` at q, in priority order.
    int steps(std::uint32_t pc, std::size_t q, std::uint32_t* to) const {
        const Regex::Inst& in = re.prog_[pc];
        if (in.op != Regex::Op::split && in.op != Regex::Op::jump && !passes(in, q)) return 0;
        return non_consuming_steps(in, pc, to);
    }

    std::size_t* crow(std::uint32_t i, std::size_t q) {
        const Looks& t = s.looks_;
        const Regex::Look& lk = re.looks_[i];
        const std::size_t size = lk.end - lk.start + 1;
        return s.looks_.crows.data() + t.crow_at[i] + (q & 1) * size * t.ncap[i];
    }

    /// What `in` at q writes into the slots `dst` (slot_lo `lo`, `nc` of them) of a path's rest.
    void write(const Regex::Inst& in, std::size_t q, std::uint32_t lo, std::size_t nc, std::size_t* dst) {
        switch (in.op) {
            case Regex::Op::save:
                if (in.x >= lo && in.x - lo < nc && dst[in.x - lo] == unwritten) dst[in.x - lo] = q;
                break;
            case Regex::Op::reset:
                for (std::uint32_t k = std::max(in.x, lo); k < in.y && k - lo < nc; ++k)
                    if (dst[k - lo] == unwritten) dst[k - lo] = npos;
                break;
            case Regex::Op::look: {
                const std::size_t inc = s.looks_.ncap[in.x];
                if (inc == 0) break;
                const std::size_t* src = crow(in.x, q);  // its first instruction's slots at q
                const std::uint32_t ilo = re.looks_[in.x].slot_lo;
                for (std::size_t j = 0; j < inc; ++j) {
                    const std::size_t k = ilo + j;
                    if (k >= lo && k - lo < nc && dst[k - lo] == unwritten)
                        dst[k - lo] = src[j] == unwritten ? npos : src[j];
                }
                break;
            }
            default:
                break;
        }
    }

    /// Lookahead `i` at position q from its rows at q + 1. `keep`: store its slots in the block.
    void step(std::uint32_t i, std::size_t q, bool keep) {
        Looks& t = s.looks_;
        const Regex::Look& lk = re.looks_[i];
        const std::uint32_t base = lk.start;
        const std::size_t size = lk.end - lk.start + 1;
        std::uint8_t* s0 = t.rows.data() + t.row_at[i] + (q & 1) * size;
        const std::uint8_t* s1 = t.rows.data() + t.row_at[i] + ((q + 1) & 1) * size;
        const std::size_t nc = t.ncap[i];
        std::size_t* c0 = nc != 0 ? crow(i, q) : nullptr;
        const std::size_t* c1 = nc != 0 ? crow(i, q + 1) : nullptr;
        const bool more = q < text.size();
        const auto c = more ? static_cast<unsigned char>(text[q]) : 0;
        for (std::uint32_t id = lk.parts_begin; id < lk.parts_end; ++id) {
            const Regex::LookPart& part = re.parts_[id];
            if (part.cycle) {
                cycle(part, id, base, q, s0, c0, lk.slot_lo, nc);
                continue;
            }
            const std::uint32_t pc = re.part_order_[part.begin];
            const Regex::Inst& in = re.prog_[pc];
            const std::uint32_t r = pc - base;
            bool ok;
            const std::size_t* from = nullptr;  // the slots of the path's rest
            switch (in.op) {
                case Regex::Op::byte:
                    ok = more && c == in.a && s1[r + 1];
                    if (nc != 0) from = c1 + (r + 1) * nc;
                    break;
                case Regex::Op::set:
                    ok = more && re.sets_[in.x].has(c) && s1[r + 1];
                    if (nc != 0) from = c1 + (r + 1) * nc;
                    break;
                case Regex::Op::any:
                    ok = more && c != '\n' && c != '\r' && s1[r + 1];
                    if (nc != 0) from = c1 + (r + 1) * nc;
                    break;
                case Regex::Op::match:
                    ok = true;
                    break;
                case Regex::Op::split: {
                    const std::uint32_t way = s0[in.x - base] ? in.x : in.y;
                    ok = s0[way - base] != 0;
                    if (nc != 0) from = c0 + (way - base) * nc;
                    break;
                }
                case Regex::Op::jump:
                    ok = s0[in.x - base] != 0;
                    if (nc != 0) from = c0 + (in.x - base) * nc;
                    break;
                default:  // save, reset, assertions
                    ok = passes(in, q) && s0[r + 1];
                    if (nc != 0) from = c0 + (r + 1) * nc;
                    break;
            }
            s0[r] = ok;
            if (nc == 0 || !ok) continue;
            std::size_t* dst = c0 + r * nc;
            if (from == nullptr) {
                std::fill(dst, dst + nc, unwritten);
            } else {
                std::copy(from, from + nc, dst);
                write(in, q, lk.slot_lo, nc, dst);
            }
        }
        const bool found = s0[0] != 0;
        std::uint64_t& w = t.holds[i * t.words + (q >> 6)];
        const std::uint64_t bit = std::uint64_t{1} << (q & 63);
        w = found != lk.negate ? w | bit : w & ~bit;
        if (keep && nc != 0 && found) {
            std::size_t* dst = t.caps.data() + t.cap_at[i] + (q - t.block_lo) * nc;
            for (std::size_t j = 0; j < nc; ++j) dst[j] = c0[j] == unwritten ? npos : c0[j];
        }
    }

    /// A cycle of non-consuming steps at q: which of its instructions lead to the match (a search
    /// back from its ways out), and for each way in that does, the slots of the VM's path.
    void cycle(const Regex::LookPart& part, std::uint32_t id, std::uint32_t base, std::size_t q,
               std::uint8_t* s0, std::size_t* c0, std::uint32_t lo, std::size_t nc) {
        Looks& t = s.looks_;
        std::uint32_t to[2];
        std::size_t queued = 0;
        for (std::uint32_t k = part.begin; k < part.end; ++k) s0[re.part_order_[k] - base] = 0;
        for (std::uint32_t k = part.begin; k < part.end; ++k) {
            const std::uint32_t pc = re.part_order_[k];
            for (int j = steps(pc, q, to); j-- > 0;)
                if (re.part_of_[to[j]] != id && s0[to[j] - base]) {
                    s0[pc - base] = 1;
                    t.queue[queued++] = pc;
                    break;
                }
        }
        for (std::size_t h = 0; h < queued; ++h) {
            const std::uint32_t v = t.queue[h];
            for (std::uint32_t j = re.pred_begin_[v]; j < re.pred_begin_[v + 1]; ++j) {
                const std::uint32_t w = re.preds_[j];
                if (re.part_of_[w] == id && !s0[w - base] && passes(re.prog_[w], q)) {
                    s0[w - base] = 1;
                    t.queue[queued++] = w;
                }
            }
        }
        if (nc == 0) return;
        auto& walk = t.walk;  // (instruction, next step) pairs: the path from the way in
        for (std::uint32_t k = part.entry_begin; k < part.entry_end; ++k) {
            const std::uint32_t entry = re.part_entries_[k];
            if (!s0[entry - base]) continue;
            if (++t.stamp == 0) {
                std::fill(t.mark.begin(), t.mark.end(), 0u);
                t.stamp = 1;
            }
            walk.clear();
            walk.push_back(entry);
            walk.push_back(0);
            t.mark[entry] = t.stamp;
            std::uint32_t out = none;
            while (!walk.empty()) {
                const std::uint32_t v = walk[walk.size() - 2];
                const int n = steps(v, q, to);
                std::uint32_t& next = walk.back();
                if (static_cast<int>(next) >= n) {
                    walk.resize(walk.size() - 2);
                    continue;
                }
                const std::uint32_t w = to[next++];
                if (re.part_of_[w] != id) {
                    if (s0[w - base]) {
                        out = w;
                        break;
                    }
                    continue;
                }
                if (t.mark[w] == t.stamp) continue;
                t.mark[w] = t.stamp;
                walk.push_back(w);
                walk.push_back(0);
            }
            if (out == none) continue;  // cannot happen: `entry` leads to the match
            std::size_t* tmp = t.tmp.data();
            std::copy(c0 + (out - base) * nc, c0 + (out - base + 1) * nc, tmp);
            for (std::size_t j = walk.size(); j > 0; j -= 2) write(re.prog_[walk[j - 2]], q, lo, nc, tmp);
            std::copy(tmp, tmp + nc, c0 + (entry - base) * nc);
        }
    }

    /// Copies the rows of the lookaheads that keep slots between the pass and the saved rows at
    /// block boundary `b` (`save`: pass -> saved).
    void checkpoint(std::size_t b, bool save) {
        Looks& t = s.looks_;
        const std::size_t q = b * t.block;
        const std::size_t srows = t.ck_rows, scrows = t.ck_crows;
        for (std::uint32_t i = 0; i < re.looks_.size(); ++i) {
            const std::size_t nc = t.ncap[i];
            if (nc == 0) continue;
            const Regex::Look& lk = re.looks_[i];
            const std::size_t size = lk.end - lk.start + 1;
            std::uint8_t* row = t.rows.data() + t.row_at[i] + (q & 1) * size;
            std::uint8_t* kept = t.ck.data() + b * srows + t.row_at[i] / 2;
            std::size_t* crow_q = crow(i, q);
            std::size_t* ckept = t.ckc.data() + b * scrows + t.crow_at[i] / 2;
            if (save) {
                std::copy(row, row + size, kept);
                std::copy(crow_q, crow_q + size * nc, ckept);
            } else {
                std::copy(kept, kept + size, row);
                std::copy(ckept, ckept + size * nc, crow_q);
            }
        }
    }

    /// Extends the tables down to `p` (to the start of its block when slots are kept), keeping
    /// the slots of that block.
    void sweep(std::size_t p) {
        Looks& t = s.looks_;
        const auto count = static_cast<std::uint32_t>(re.looks_.size());
        const std::size_t low = t.keeps ? p / t.block * t.block : p;
        if (t.keeps) {
            if (t.lo <= text.size()) checkpoint(t.lo / t.block, false);
            t.block_lo = low;
            t.block_hi = std::min(low + t.block, text.size() + 1);
        }
        for (std::size_t q = t.lo; q-- > low;) {
            for (std::uint32_t i = 0; i < count; ++i) step(i, q, q < t.block_hi);
            if (t.keeps && q % t.block == 0) checkpoint(q / t.block, true);
        }
        t.lo = low;
    }

    /// Recomputes the slots of block `b` (already swept) from the rows saved at its end.
    void load_block(std::size_t b) {
        Looks& t = s.looks_;
        const std::size_t n = text.size();
        t.block_lo = b * t.block;
        t.block_hi = std::min(t.block_lo + t.block, n + 1);
        if (t.block_hi <= n) checkpoint(t.block_hi / t.block, false);
        for (std::size_t q = t.block_hi; q-- > t.block_lo;)
            for (std::uint32_t i = 0; i < re.looks_.size(); ++i)
                if (t.ncap[i] != 0) step(i, q, true);
    }

    /// Runs from `from`; the highest-priority match (of the leftmost start) lands in vm_.best.
    /// `any`: stop at the first match found.
    bool run(std::size_t from, bool any) {
        Level& lv = s.vm_;
        List* cl = &lv.lists[0];
        List* nl = &lv.lists[1];
        cl->size = 0;
        bool matched = false;
        const std::size_t n = text.size();
        for (std::size_t p = from;; ++p) {
            if (!matched && cl->size == 0) {
                if (re.start_anchored_ && p > 0) break;            // ^ cannot hold any more
                if (re.has_first_ && !(p == 0 && re.bol_path_)) {  // a ^ path may start at 0
                    while (p < n && !re.first_.has(static_cast<unsigned char>(text[p]))) ++p;
                    if (p >= n) break;  // a match needs at least one byte
                }
            }
            if (!matched && !(re.start_anchored_ && p > 0)) {
                std::fill(lv.work.begin(), lv.work.begin() + static_cast<std::ptrdiff_t>(nslots), npos);
                add(*cl, 0, p, lv);
            }
            if (cl->size == 0) {
                if (matched || p >= n) break;
                continue;
            }
            if (cl->size > s.steps_left_) {  // for_each's budget: stop, reported by for_each
                s.out_of_steps_ = true;
                return false;
            }
            s.steps_left_ -= cl->size;
            nl->size = 0;
            const auto c = p < n ? static_cast<unsigned char>(text[p]) : 0;
            for (std::size_t i = 0; i < cl->size; ++i) {
                std::uint32_t pc = cl->dense[i];
                const Regex::Inst& in = re.prog_[pc];
                bool ok;
                switch (in.op) {
                    case Regex::Op::byte:
                        ok = p < n && c == in.a;
                        break;
                    case Regex::Op::set:
                        ok = p < n && re.sets_[in.x].has(c);
                        break;
                    case Regex::Op::any:
                        ok = p < n && c != '\n' && c != '\r';
                        break;
                    case Regex::Op::match: {
                        auto first = cl->caps.begin() + static_cast<std::ptrdiff_t>(i * nslots);
                        std::copy(first, first + static_cast<std::ptrdiff_t>(nslots), lv.best.begin());
                        matched = true;
                        if (any) return true;
                        i = cl->size;  // lower-priority threads lose to this match
                        continue;
                    }
                    default:
                        continue;  // a non-consuming step recorded in the list
                }
                if (!ok) continue;
                auto first = cl->caps.begin() + static_cast<std::ptrdiff_t>(i * nslots);
                std::copy(first, first + static_cast<std::ptrdiff_t>(nslots), lv.work.begin());
                add(*nl, pc + 1, p + 1, lv);
            }
            std::swap(cl, nl);
            if (p >= n) break;
        }
        return matched;
    }
};

namespace {
template <class T>
void grow(std::vector<T>& v, std::size_t n) {
    if (v.size() < n) v.resize(n);
}
}  // namespace

std::size_t Regex::work_budget(std::size_t text_size) const {
    constexpr std::size_t floor = 10'000'000, factor = 16;
    const std::size_t per_position = factor * std::max<std::size_t>(prog_.size(), 1);
    const std::size_t positions = text_size + 1;
    if (positions > static_cast<std::size_t>(-1) / per_position) return static_cast<std::size_t>(-1);
    return std::max(floor, positions * per_position);
}

void Regex::begin(std::string_view text, RegexScratch& scratch, std::size_t n) const {
    scratch.steps_left_ = static_cast<std::size_t>(-1);  // a single search is linear: no budget
    scratch.out_of_steps_ = false;
    if (looks_.empty()) return;
    auto& t = scratch.looks_;
    const std::size_t nslots = slots_for(n, slots_);
    const std::size_t positions = text.size() + 1;
    const std::size_t count = looks_.size();
    t.lo = positions;
    t.words = (positions + 63) / 64;
    grow(t.holds, count * t.words);
    grow(t.ncap, count);
    grow(t.cap_at, count);
    grow(t.row_at, count);
    grow(t.crow_at, count);
    std::size_t ncaps = 0, rows = 0, crows = 0, kept = 0, widest = 0;
    for (std::size_t i = 0; i < count; ++i) {
        const Look& lk = looks_[i];
        const std::size_t size = lk.end - lk.start + 1;
        const std::size_t hi = std::min<std::size_t>(lk.slot_hi, nslots);
        const std::size_t nc = !lk.negate && lk.slot_lo < hi ? hi - lk.slot_lo : 0;
        t.ncap[i] = nc;
        t.row_at[i] = rows;
        t.crow_at[i] = crows;
        rows += 2 * size;
        crows += 2 * size * nc;
        ncaps += nc;
        if (nc != 0) kept += size * (1 + nc);
        widest = std::max(widest, nc);
    }
    t.keeps = ncaps != 0;
    t.block = positions;
    t.block_lo = t.block_hi = 0;
    t.ck_rows = rows / 2;
    t.ck_crows = crows / 2;
    if (t.keeps) {
        // Blocks of about sqrt(positions x saved rows / kept slots) positions: the saved rows
        // and one block's slots then take about the same room, O(sqrt) of the whole table.
        double b = std::ceil(std::sqrt(static_cast<double>(positions) * static_cast<double>(kept) /
                                       static_cast<double>(ncaps)));
        t.block = std::min(positions, std::max<std::size_t>(64, static_cast<std::size_t>(b)));
        std::size_t at = 0;
        for (std::size_t i = 0; i < count; ++i) {
            t.cap_at[i] = at;
            at += t.ncap[i] * t.block;
        }
        grow(t.caps, at);
        const std::size_t boundaries = text.size() / t.block + 1;
        grow(t.ck, boundaries * t.ck_rows);
        grow(t.ckc, boundaries * t.ck_crows);
    }
    grow(t.rows, rows);
    grow(t.crows, crows);
    grow(t.mark, prog_.size());
    grow(t.queue, prog_.size());
    grow(t.tmp, widest);
    if (t.walk.capacity() < 2 * prog_.size()) t.walk.reserve(2 * prog_.size());
}

bool Regex::next(std::string_view text, std::size_t from, RegexScratch& scratch, RegexSpan* spans,
                 std::size_t n) const {
    if (prog_.empty() || from > text.size()) return false;
    std::size_t nslots = slots_for(n, slots_);
    RegexVm vm{*this, text, scratch, nslots};
    vm.prepare();
    if (!vm.run(from, false)) return false;
    const auto& best = scratch.vm_.best;
    for (std::size_t g = 0; g < n; ++g) {
        if (2 * g + 1 < nslots && best[2 * g] != npos && best[2 * g + 1] != npos)
            spans[g] = {best[2 * g], best[2 * g + 1]};
        else
            spans[g] = {};
    }
    return true;
}

bool Regex::search(std::string_view text, std::size_t from, RegexScratch& scratch, RegexSpan* spans,
                   std::size_t n) const {
    begin(text, scratch, n);
    return next(text, from, scratch, spans, n);
}

bool Regex::contains(std::string_view text, RegexScratch& scratch) const {
    if (prog_.empty()) return false;
    begin(text, scratch, 1);
    RegexVm vm{*this, text, scratch, 2};
    vm.prepare();
    return vm.run(0, true);
}

RegexStatus Regex::replace(std::string_view text, std::string_view format, RegexScratch& scratch,
                           std::string& out, std::size_t max_out) const {
    std::size_t ngroups = groups();
    if (scratch.spans_.size() < ngroups) scratch.spans_.resize(ngroups);
    RegexSpan* spans = scratch.spans_.data();
    std::size_t last = 0;
    auto group = [&](std::size_t g) {
        if (spans[g].matched()) out.append(text.substr(spans[g].begin, spans[g].end - spans[g].begin));
    };
    const RegexStatus status = for_each(text, scratch, spans, ngroups, [&](const RegexSpan* m) {
        out.append(text.substr(last, m[0].begin - last));
        for (std::size_t i = 0; i < format.size(); ++i) {
            char ch = format[i];
            if (ch != '$' || i + 1 >= format.size()) {
                out.push_back(ch);
                continue;
            }
            char d = format[i + 1];
            if (d == '$') {
                out.push_back('$');
                ++i;
            } else if (d == '&') {
                group(0);
                ++i;
            } else if (d == '`') {
                out.append(text.substr(0, m[0].begin));
                ++i;
            } else if (d == '\'') {
                out.append(text.substr(m[0].end));
                ++i;
            } else if (is_digit(static_cast<unsigned char>(d))) {
                std::size_t one = static_cast<std::size_t>(d - '0');
                if (i + 2 < format.size() && is_digit(static_cast<unsigned char>(format[i + 2]))) {
                    std::size_t two = one * 10 + static_cast<std::size_t>(format[i + 2] - '0');
                    if (two >= 1 && two < ngroups) {
                        group(two);
                        i += 2;
                        continue;
                    }
                }
                if (one >= 1 && one < ngroups) {
                    group(one);
                    ++i;
                } else {
                    out.push_back('$');  // not a group of this pattern: literal text
                }
            } else {
                out.push_back('$');
            }
        }
        last = m[0].end;
        return out.size() <= max_out;  // each step adds at most a few texts: checked per match
    });
    if (out.size() > max_out) return RegexStatus::too_long;
    if (status != RegexStatus::done) return status;
    out.append(text.substr(last));
    return out.size() <= max_out ? RegexStatus::done : RegexStatus::too_long;
}

}  // namespace scorestream::pmml::detail
