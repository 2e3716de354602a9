#pragma once
// Internal core of the compiled PMML evaluator: the flat program every model family compiles into,
// the per-caller scratch, and the evaluation context. Private to src/pmml (never installed).
//
// Shape: every field the document mentions (mining fields as a model sees them, derived fields,
// output fields) becomes a numbered slot. A slot is computed at most once per record, on first use
// (lazy, memoized with an epoch stamp), so derived fields a record never reaches cost nothing and
// evaluation order follows the document's data flow without a separate scheduling pass.

#include <scorestream/detail/bytes.hpp>
#include <scorestream/model/model.hpp>
#include <scorestream/model/value.hpp>

#include "packed_arrays.hpp"
#include "regex.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace scorestream::pmml::detail {

enum class DataType : std::uint8_t {
    string,
    integer,
    float_,
    double_,
    boolean,
    date,
    time,
    datetime,
    unknown
};
enum class OpType : std::uint8_t { categorical, ordinal, continuous, unknown };
enum class MiningFunction : std::uint8_t { regression, classification, clustering, mixed, association_rules };

inline bool is_numeric(DataType t) noexcept {
    return t == DataType::integer || t == DataType::float_ || t == DataType::double_ ||
           t == DataType::boolean;
}

const char* to_string(DataType t) noexcept;
const char* to_string(OpType t) noexcept;
/// The functionName a model of this function declares ("classification", "associationRules", ...).
const char* to_string(MiningFunction f) noexcept;

/// Thrown inside evaluation for a record that cannot be scored; score() catches it and reports the
/// message through Prediction::error. Never escapes the library.
struct EvalFailure {
    std::string message;
    /// The message says where already: the field whose value failed, or the innermost <Apply>
    /// of the document that the failure passed through (ApplyExpr adds its line).
    bool located = false;
};
[[noreturn]] void fail(std::string message);
/// fail() for a failure that names its field: no <Apply> it passes through adds a line.
[[noreturn]] void fail_field(std::string message);

constexpr double nan_v = std::numeric_limits<double>::quiet_NaN();
/// The longest text a function of the document may build for one record (concat, replace): a few
/// nested calls that each double a text would otherwise take all the memory there is.
constexpr std::size_t max_text_bytes = std::size_t{16} << 20;

/// The nearest integer, halves up (PMML's round and castInteger="round", as Java's Math.round):
/// floor(x + 0.5) would round 0.49999999999999994 up, and an odd integer from 2^52 on to the next
/// even one, because the addition itself rounds. x - floor(x) is exact. NaN and infinities stay.
inline double round_half_up(double x) noexcept {
    const double down = std::floor(x);
    return x - down >= 0.5 ? down + 1.0 : down;
}

/// Parses a whole string as a double (leading/trailing blanks allowed); false when it is not one.
bool parse_double(std::string_view s, double& out) noexcept;
/// Shortest round-trip text of x ("1", "0.5", "1e+300"); integers without a fraction.
std::size_t format_double(double x, char* buf, std::size_t size) noexcept;
/// The text a number converts to for a string field: the text it was read from when it has one,
/// else format_double's (written to buf).
inline std::string_view number_text(const Value& v, char (&buf)[40]) noexcept {
    if (!v.text().empty()) return v.text();
    return std::string_view(buf, format_double(v.as_number(), buf, sizeof buf));
}

/// What one model produced for the current record.
struct ModelResult {
    std::uint32_t epoch = 0;  ///< record stamp; a result from an older record counts as missing
    Value value;              ///< predicted value (number or category) or missing
    int category = -1;        ///< index into the model's categories (classification)
    bool has_probs = false;
    std::vector<double> probs;  ///< aligned with the model's categories
    std::string_view entity_id;
    double confidence = nan_v;
    std::vector<double> confidences;  ///< per category, when the model defines them
    bool has_confidences = false;
};

class Program;

/// The per-caller working memory of one compiled document (lives in Prediction::scratch).
class EvalScratch final : public scorestream::Scratch {
public:
    std::vector<Value> values;          ///< per slot
    std::vector<std::uint32_t> stamps;  ///< per slot: epoch at which values[i] was computed
    std::vector<std::uint8_t> invalid;  ///< per slot: the value was invalid and kept asIs
    std::uint32_t epoch = 0;
    std::vector<std::string> buffers;  ///< string storage, one per producing node
    std::vector<ModelResult> results;  ///< per model
    std::vector<double> work;          ///< numeric work areas handed out at compile time
    std::vector<Value> frame;          ///< argument stack for functions
    RegexScratch regex;                ///< thread lists of the regular-expression matcher
    std::string regex_text;            ///< replace() output before it is stored
    std::vector<double> xs;            ///< per slot: numeric view of direct inputs (NaN: missing)
    std::vector<std::int32_t> cats;    ///< per slot: category index of categorical inputs
                                       ///< (-1: outside the listed values, -2: missing)
    std::uint64_t missing_bits = 0;    ///< this record: inputs missing or not numbers, bit (slot & 63)
    /// this record: string inputs with unlisted values or values a strict split sends to neither
    /// child (Symbols::divert), same bits
    std::uint64_t outside_bits = 0;
};

/// Evaluation context for one record.
struct Ctx {
    const Program* prog;
    EvalScratch* s;
    const FeatureRow* row;
    std::size_t frame_base = 0;
    int call_depth = 0;
    /// Derived fields being computed, one needing the next. Loading bounds each field's own chain,
    /// but a field compiled early can be reached from deep in one compiled later: the sum is
    /// checked as the record runs (max_derived_depth), so that no document can exhaust the stack.
    int derived_depth = 0;
    static constexpr int max_derived_depth = 1000;

    inline const Value& get(int slot);
    bool is_invalid(int slot) { return s->invalid[static_cast<std::size_t>(slot)] != 0; }
    std::string& buffer(int id) { return s->buffers[static_cast<std::size_t>(id)]; }
    double* work(int offset) { return s->work.data() + offset; }
    /// Stores `text` in buffer `id` and returns a view of the stored copy.
    std::string_view store(int id, std::string_view text) {
        auto& b = buffer(id);
        b.assign(text.data(), text.size());
        return b;
    }
};

/// An expression node (DerivedField contents, Apply, OutputField transformations).
class Expr {
public:
    virtual ~Expr() = default;
    virtual Value eval(Ctx& ctx) const = 0;
    DataType type = DataType::unknown;  ///< the static type when known
};
using ExprPtr = std::unique_ptr<Expr>;

/// A list of texts fixed once written, in one allocation: the count, an end offset per text, then
/// the texts end to end. Eight bytes when empty, and four plus its bytes a text (a std::string costs
/// 32 each, and its bytes too beyond 15).
class TextList {
public:
    TextList() = default;
    /// Throws std::length_error past 4 GiB of texts (at load).
    explicit TextList(const std::vector<std::string>& texts) {
        if (texts.empty()) return;
        std::size_t chars = 0;
        for (const auto& t : texts) chars += t.size();
        if (chars > UINT32_MAX || texts.size() > UINT32_MAX / 8)
            throw std::length_error("text list over 4 GiB");
        block_ = std::make_unique<std::uint32_t[]>(words(texts.size(), chars));
        block_[0] = static_cast<std::uint32_t>(texts.size());
        char* out = reinterpret_cast<char*>(block_.get() + 1 + texts.size());
        std::uint32_t end = 0;
        for (std::size_t i = 0; i < texts.size(); ++i) {
            std::memcpy(out + end, texts[i].data(), texts[i].size());
            end += static_cast<std::uint32_t>(texts[i].size());
            block_[1 + i] = end;
        }
    }
    std::size_t size() const noexcept { return block_ ? block_[0] : 0; }
    bool empty() const noexcept { return !block_; }
    std::string_view operator[](std::size_t i) const noexcept {
        const std::uint32_t* ends = block_.get() + 1;
        const std::uint32_t begin = i ? ends[i - 1] : 0;
        return {reinterpret_cast<const char*>(ends + block_[0]) + begin, ends[i] - begin};
    }
    /// The texts one by one, as string_views.
    class Iterator {
    public:
        Iterator(const TextList* list, std::size_t i) noexcept : list_(list), i_(i) {}
        std::string_view operator*() const noexcept { return (*list_)[i_]; }
        Iterator& operator++() noexcept {
            ++i_;
            return *this;
        }
        bool operator!=(const Iterator& o) const noexcept { return i_ != o.i_; }

    private:
        const TextList* list_;
        std::size_t i_;
    };
    Iterator begin() const noexcept { return {this, 0}; }
    Iterator end() const noexcept { return {this, size()}; }
    std::vector<std::string> to_vector() const {
        std::vector<std::string> out;
        for (std::string_view t : *this) out.emplace_back(t);
        return out;
    }
    /// Bytes of the allocation.
    std::size_t heap_bytes() const noexcept {
        return block_ ? words(block_[0], block_[block_[0]]) * sizeof(std::uint32_t) : 0;
    }

private:
    /// The allocation's words for n texts of `chars` bytes in all.
    static std::size_t words(std::size_t n, std::size_t chars) noexcept { return 1 + n + (chars + 3) / 4; }
    std::unique_ptr<std::uint32_t[]> block_;
};

/// Validity information from a DataField.
struct FieldDomain {
    DataType type = DataType::string;
    OpType optype = OpType::categorical;
    struct Interval {
        double lo, hi;
        bool lo_closed, hi_closed;
    };
    /// The listed valid values and the intervals, held apart: most numeric fields have neither.
    /// Three allocations: the texts, the display texts (when any is given) and the arrays.
    struct Lists {
        TextList valid_text;  ///< Value property="valid" (strings as written)
        TextList display;     ///< displayValue per valid value; empty when none has one
        /// valid_num: valid_text parsed when the type is numeric; sorted: positions in valid_text,
        /// in the order of their texts; then the intervals.
        PackedArrays<double, std::uint32_t, Interval> arrays;
        ArrayView<double> valid_num() const noexcept { return arrays.get<0>(); }
        ArrayView<std::uint32_t> sorted() const noexcept { return arrays.get<1>(); }
        ArrayView<Interval> intervals() const noexcept { return arrays.get<2>(); }
    };
    std::unique_ptr<const Lists> lists;  ///< nullptr when the field lists no valid value and no interval
    /// Sets the lists (the DataField's Values and Intervals, read once): none when all are empty.
    void set_lists(const std::vector<std::string>& valid_text, const std::vector<double>& valid_num,
                   const std::vector<std::string>& display, const std::vector<Interval>& intervals) {
        lists.reset();
        if (valid_text.empty() && intervals.empty()) return;
        auto l = std::make_unique<Lists>();
        l->valid_text = TextList(valid_text);
        // No displayValue at all: nothing to hold.
        if (std::any_of(display.begin(), display.end(), [](const auto& t) { return !t.empty(); }))
            l->display = TextList(display);
        std::vector<std::uint32_t> sorted(valid_text.size());
        for (std::size_t i = 0; i < sorted.size(); ++i) sorted[i] = static_cast<std::uint32_t>(i);
        std::sort(sorted.begin(), sorted.end(),
                  [&](std::uint32_t a, std::uint32_t b) { return valid_text[a] < valid_text[b]; });
        l->arrays.assign(valid_num, sorted, intervals);
        lists = std::move(l);
    }
    static const Lists no_lists;
    const Lists& l() const noexcept { return lists ? *lists : no_lists; }
    const TextList& valid_text() const noexcept { return l().valid_text; }
    ArrayView<double> valid_num() const noexcept { return l().valid_num(); }
    const TextList& display() const noexcept { return l().display; }
    ArrayView<Interval> intervals() const noexcept { return l().intervals(); }
    /// Position of `text` in valid_text (binary search), or -1.
    int index_of(std::string_view text) const noexcept {
        const Lists& x = l();
        const ArrayView<std::uint32_t> sorted = x.sorted();
        auto it = std::lower_bound(sorted.begin(), sorted.end(), text,
                                   [&](std::uint32_t k, std::string_view t) { return x.valid_text[k] < t; });
        return it != sorted.end() && x.valid_text[*it] == text ? static_cast<int>(*it) : -1;
    }
    /// How many distinct texts valid_text lists (a value listed twice counts once).
    std::size_t distinct_texts() const noexcept {
        const Lists& x = l();
        const ArrayView<std::uint32_t> sorted = x.sorted();
        std::size_t n = sorted.empty() ? 0 : 1;
        for (std::size_t i = 1; i < sorted.size(); ++i)
            n += x.valid_text[sorted[i - 1]] != x.valid_text[sorted[i]] ? 1 : 0;
        return n;
    }
    /// Value property="invalid" and property="missing" (few fields list any: held apart).
    struct Markers {
        std::vector<std::string> invalid_text;
        std::vector<double> invalid_num;
        std::vector<std::string> missing_text;
        std::vector<double> missing_num;
    };
    std::unique_ptr<Markers> markers;  ///< nullptr when the field lists none
    Markers& own_markers() {
        if (!markers) markers = std::make_unique<Markers>();
        return *markers;
    }
    /// Releases what the markers' growth left unused (read-only once the DataField is read).
    void shrink_markers() {
        if (!markers) return;
        for (auto* v : {&markers->invalid_text, &markers->missing_text}) v->shrink_to_fit();
        for (auto* v : {&markers->invalid_num, &markers->missing_num}) v->shrink_to_fit();
    }

    bool constrained() const noexcept {
        return !valid_text().empty() || (markers && !markers->invalid_text.empty()) || !intervals().empty();
    }
    /// Bytes held: the object, its texts and its tables.
    std::size_t memory_bytes() const noexcept {
        auto text = [](const std::string& t) { return t.capacity() > 15 ? t.capacity() + 1 : 0; };
        auto texts = [&](const std::vector<std::string>& v) {
            std::size_t n = v.capacity() * sizeof(std::string);
            for (const auto& t : v) n += text(t);
            return n;
        };
        std::size_t n = sizeof(*this);
        if (lists)
            n += sizeof(Lists) + lists->valid_text.heap_bytes() + lists->display.heap_bytes() +
                 lists->arrays.memory_bytes();
        if (markers)
            n += sizeof(Markers) + texts(markers->invalid_text) + texts(markers->missing_text) +
                 (markers->invalid_num.capacity() + markers->missing_num.capacity()) * sizeof(double);
        return n;
    }
    /// For numbers of a domain with intervals only: inside one of them (or no intervals).
    bool in_intervals(double x) const noexcept {
        for (const auto& iv : intervals()) {
            bool lo_ok = iv.lo_closed ? x >= iv.lo : x > iv.lo;
            bool hi_ok = iv.hi_closed ? x <= iv.hi : x < iv.hi;
            if (lo_ok && hi_ok) return true;
        }
        return intervals().empty();
    }
    /// True when v (already converted to `type`) is a valid value.
    bool is_valid(const Value& v) const noexcept;
    bool is_missing_marker(const Value& v) const noexcept;
};

enum class InvalidTreatment : std::uint8_t { return_invalid, as_is, as_missing, as_value };
enum class OutlierTreatment : std::uint8_t { as_is, as_missing, as_extreme };

/// How one model sees a field: the MiningField attributes.
struct Treatment {
    const FieldDomain* domain = nullptr;
    InvalidTreatment invalid = InvalidTreatment::return_invalid;
    OutlierTreatment outliers = OutlierTreatment::as_is;
    bool missing_is_invalid = false;  ///< missingValueTreatment="returnInvalid" (PMML 4.4)
    /// A replacement value and the text it was written as (the value's string points into it).
    struct Replacement {
        Value value;
        std::string text;
    };
    /// What few MiningFields give, held apart: the replacements and the outlier bounds.
    struct Rare {
        std::unique_ptr<const Replacement> replacement;          ///< missingValueReplacement, if any
        std::unique_ptr<const Replacement> invalid_replacement;  ///< invalidValueReplacement (as_value)
        double low = -HUGE_VAL, high = HUGE_VAL;                 ///< lowValue, highValue
    };
    std::unique_ptr<Rare> rare;  ///< nullptr when the MiningField gives none of them
    Rare& own_rare() {
        if (!rare) rare = std::make_unique<Rare>();
        return *rare;
    }
    const Replacement* replacement() const noexcept { return rare ? rare->replacement.get() : nullptr; }
    const Replacement* invalid_replacement() const noexcept {
        return rare ? rare->invalid_replacement.get() : nullptr;
    }
    double low() const noexcept { return rare ? rare->low : -HUGE_VAL; }
    double high() const noexcept { return rare ? rare->high : HUGE_VAL; }

    /// Bytes held: the object and its replacements.
    std::size_t memory_bytes() const noexcept {
        auto held = [](const Replacement* r) -> std::size_t {
            if (!r) return 0;
            return sizeof(Replacement) + (r->text.capacity() > 15 ? r->text.capacity() + 1 : 0);
        };
        return sizeof(*this) + (rare ? sizeof(Rare) : 0) + held(replacement()) + held(invalid_replacement());
    }
    bool trivial() const noexcept {
        return !replacement() && outliers == OutlierTreatment::as_is && !missing_is_invalid &&
               (invalid == InvalidTreatment::as_is || domain == nullptr || !domain->constrained());
    }
};

class CompiledModel;

struct OutputDef;

/// One numbered field value.
struct SlotDef {
    enum class Kind : std::uint8_t { input, treated, derived, output };
    Kind kind = Kind::input;
    DataType type = DataType::unknown;
    OpType optype = OpType::unknown;
    bool plain = false;  ///< input: a number needs no conversion, check or treatment
    int source = -1;     ///< input: FeatureRow index; treated: source slot
    int buffer = -1;     ///< string storage for derived/converted values
    /// What the kind computes from, one pointer (24 bytes a slot rather than 48): input and treated
    /// the MiningField's treatment (nullptr: none), derived the expression, output the OutputField.
    /// Read `treat` only when the kind is known to be input or treated; else treatment().
    union {
        const Treatment* treat = nullptr;
        const Expr* expr;
        const OutputDef* output;
    };
    /// The treatment of an input or treated slot; nullptr for the other kinds.
    const Treatment* treatment() const noexcept {
        return kind == Kind::input || kind == Kind::treated ? treat : nullptr;
    }
};
static_assert(sizeof(SlotDef) == 24, "SlotDef is meant to stay 24 bytes");

/// Allocation counters a compiler hands out (slots, buffers, results, numeric work).
struct Layout {
    std::vector<SlotDef> slots;
    int buffers = 0;
    int results = 0;
    int work = 0;
    std::vector<std::pair<int, int>> result_sizes;  ///< (result index, category count)

    /// The slots' names (messages and describe()): a vector while the document compiles, then one
    /// TextList (seal_names(), at the end of loading).
    std::unique_ptr<std::vector<std::string>> building_names = std::make_unique<std::vector<std::string>>();
    TextList names;
    std::string_view name(int slot) const noexcept {
        const auto i = static_cast<std::size_t>(slot);
        return building_names && i < building_names->size() ? std::string_view((*building_names)[i])
                                                            : names[i];
    }
    void seal_names() {
        if (!building_names) return;
        names = TextList(*building_names);
        building_names.reset();
    }

    int add_slot(SlotDef def, std::string name) {
        slots.push_back(def);
        if (!building_names) {  // after seal_names(): back to a vector
            building_names = std::make_unique<std::vector<std::string>>(names.to_vector());
            names = TextList();
        }
        building_names->push_back(std::move(name));
        return static_cast<int>(slots.size()) - 1;
    }
    int add_buffer() { return buffers++; }
    int add_work(int n) {
        int at = work;
        work += n;
        return at;
    }
};

/// The strings a string input is compared with anywhere in the document (its listed values
/// first), numbered; scoring looks an input up once and compares numbers afterwards.
struct Symbols {
    Symbols() = default;
    /// Symbols whose first texts are `listed` (a DataField's valid values, all distinct): they are
    /// read from that list, which must outlive these symbols, rather than copied.
    explicit Symbols(const TextList& listed) : shared(&listed) {}

    /// The texts: those of `shared` (none when null), then the others, a vector while interning and
    /// one TextList once finished (finish()). The lookup tables point into both lists' allocations;
    /// an intern() after finish() goes back to the vector and builds the tables again.
    const TextList* shared = nullptr;
    std::vector<std::string> building;
    TextList texts;
    std::size_t shared_size() const noexcept { return shared ? shared->size() : 0; }
    std::size_t size() const noexcept {
        return shared_size() + (building.empty() ? texts.size() : building.size());
    }
    std::string_view text(std::size_t i) const noexcept {
        const std::size_t n = shared_size();
        if (i < n) return (*shared)[i];
        return building.empty() ? texts[i - n] : std::string_view(building[i - n]);
    }
    /// Open-addressing hash table, built by finish() when no perfect table is found (released
    /// otherwise): the hash and the text's bytes and length next to the index, so a lookup reads
    /// one entry and compares the bytes inline.
    struct Entry {
        std::uint64_t hash;
        const char* data;
        std::size_t size;
        std::int32_t index;  ///< -1: empty
    };
    /// The probed table and its mask (the size less one), held apart: most inputs take the perfect
    /// table.
    struct Probed {
        std::vector<Entry> table;
        std::uint64_t mask = 0;
    };
    std::unique_ptr<Probed> probed;
    /// The category indexes a record must not take to a flat tree's walk: bit c (c < 63) for index
    /// c, which a strict pair of category sets sends to neither child (trees set these bits when they
    /// are sealed, before the input plan is built); bit 63, always set, for unlisted strings (-1) and
    /// indexes from 63 up. Loading marks such an input in EvalScratch::outside_bits.
    std::uint64_t divert = std::uint64_t{1} << 63;
    /// Whether category index k (-1: unlisted) diverts the record (see divert).
    static bool diverts(std::uint64_t divert, std::int32_t k) noexcept {
        auto c = static_cast<std::uint32_t>(k);
        return ((divert >> (c < 63u ? c : 63u)) & 1u) != 0;
    }

    /// Bytes held: the interned texts and both lookup tables.
    std::size_t memory_bytes() const noexcept {
        std::size_t n = sizeof(*this) + texts.heap_bytes() + building.capacity() * sizeof(std::string) +
                        homes.capacity() * sizeof(Home);
        if (probed) n += sizeof(Probed) + probed->table.capacity() * sizeof(Entry);
        for (const auto& t : building) n += t.capacity() > 15 ? t.capacity() + 1 : 0;
        return n;
    }

    /// The index of t, added at the end when absent (at load).
    int intern(std::string_view t) {
        for (std::size_t i = 0; i < size(); ++i)
            if (text(i) == t) return static_cast<int>(i);
        const bool built = perfect || probed;
        if (building.empty()) building = texts.to_vector();
        building.emplace_back(t);
        if (built) finish();  // the tables pointed into the list being replaced
        return static_cast<int>(size()) - 1;
    }
    /// Eight bytes per step, the tail read as overlapping words (category values are short):
    /// multiply-xorshift mixing of 64-bit words.
    [[gnu::always_inline]] static std::uint64_t hash(std::string_view t) noexcept {
        const char* p = t.data();
        std::size_t n = t.size();
        std::uint64_t h = 0x9E3779B97F4A7C15ull ^ (n * 0xC2B2AE3D27D4EB4Full);
        std::uint64_t w = 0;
        if (n >= 8) {
            for (; n > 8; p += 8, n -= 8) {
                std::memcpy(&w, p, 8);
                h = (h ^ w) * 0xFF51AFD7ED558CCDull;
                h ^= h >> 32;
            }
            std::memcpy(&w, p + n - 8, 8);  // the last 8 bytes (overlapping what was mixed)
        } else if (n >= 4) {
            std::uint32_t a, b;
            std::memcpy(&a, p, 4);
            std::memcpy(&b, p + n - 4, 4);
            w = a | (static_cast<std::uint64_t>(b) << 32);
        } else if (n > 0) {
            w = static_cast<unsigned char>(p[0]) |
                (static_cast<std::uint64_t>(static_cast<unsigned char>(p[n / 2])) << 8) |
                (static_cast<std::uint64_t>(static_cast<unsigned char>(p[n - 1])) << 16);
        }
        h = (h ^ w) * 0xC4CEB9FE1A85EC53ull;
        return h ^ (h >> 29);
    }
    /// Perfect table, built by finish() when a seed separates every text: each text has a home
    /// entry no other text shares, so a lookup is one multiply, one entry and one comparison, with
    /// no probing (the common case: a field's few category values). Otherwise `table` is probed.
    /// 32 bytes. An empty entry has size 0 and `first` 1, which no text's ends give with size 0
    /// (the empty text's ends are zero), and index -1.
    ///
    /// The same entries serve load_fast's string loop (strings()), which takes an entry as it is
    /// only when its `size` equals the text's length of at most 16 bytes: set_quick() clears
    /// `slow` in the entries of the texts that pass as they are (a listed value, or any string
    /// when none are listed) and have at most 16 bytes, and stores in their `tail` the input's bit
    /// of EvalScratch::outside_bits when the text diverts the record. Every other entry keeps
    /// `slow`, so that loop sends its texts to the whole lookup and the checks.
    struct Home {
        std::uint64_t first, last;  ///< the text's ends(): they cover all of its bytes up to 16
        /// Texts longer than 16 bytes: the address of the text. Others: 0, or after set_quick()
        /// the outside bit (see above).
        std::uint64_t tail;
        std::uint32_t size;  ///< the length, | slow (finish() takes the perfect table only below 2^31)
        std::int32_t index;  ///< -1 when empty
    };
    static_assert(sizeof(Home) == 32, "Home is meant to stay 32 bytes");
    static constexpr std::uint32_t slow = std::uint32_t{1} << 31;
    /// A one-entry table no text matches, for inputs whose symbols have no perfect table.
    static const Home no_home[1];
    /// Clears `slow` in the entries of texts of at most 16 bytes whose index k passes
    /// (static_cast<std::uint32_t>(k) < limit, see Program::StringInput::limit) and stores their
    /// outside bit for the input of slot `slot`; sets it in every other entry. The symbols must be
    /// that input's own.
    void set_quick(std::uint64_t limit, std::uint32_t slot) noexcept {
        for (Home& h : homes) {
            const std::uint32_t n = h.size & ~slow;
            const bool quick = h.index >= 0 && n <= 16 && static_cast<std::uint32_t>(h.index) < limit;
            h.size = quick ? n : n | slow;
            if (n <= 16)
                h.tail = quick ? static_cast<std::uint64_t>(diverts(divert, h.index)) << (slot & 63) : 0;
        }
    }
    std::vector<Home> homes;
    std::uint64_t seed = 0;
    unsigned shift = 63;
    bool perfect = false;

    /// The bytes of a text that its key reads, as two words. From 4 bytes on: four 4-byte words at
    /// offsets 0, o, n-4-o and n-4 with o = (3n - 9) / 8 (quad_offset), which overlap so that up
    /// to 16 bytes they cover every byte (no gap between them exceeds 4); the offsets follow from n by
    /// arithmetic, so that one sequence of loads serves every length from 4 to 16 without a branch on it.
    /// Below 4 bytes: bytes 0, n/2 and n-1 (n > 0), or zero. Up to 16 bytes, two texts of one length are
    /// equal exactly when these are. Every load lies inside [p, p + n).
    struct Ends {
        std::uint64_t first = 0, last = 0;
    };
    /// The second word's offset for a text of n >= 4 bytes: from 0 to 4 up to 16 bytes, with
    /// n - 4 - 2o <= 4 (the middle gap), and at most n - 4 for every n. One lea and one shift.
    static constexpr std::size_t quad_offset(std::size_t n) noexcept { return (3 * n - 9) >> 3; }
    static constexpr bool quads_cover() noexcept {
        for (std::size_t n = 4; n <= 16; ++n) {
            const std::size_t o = quad_offset(n);
            if (o > 4 || o > n - 4 || n - 4 > 2 * o + 4) return false;
        }
        return true;
    }
    [[gnu::always_inline]] static Ends quads(const char* p, std::size_t n) noexcept {  // n >= 4
        const std::size_t m = n - 4, o = quad_offset(n);
        std::uint32_t a, b, c, d;
        std::memcpy(&a, p, 4);
        std::memcpy(&b, p + o, 4);
        std::memcpy(&c, p + (m - o), 4);
        std::memcpy(&d, p + m, 4);
        return Ends{a | (static_cast<std::uint64_t>(b) << 32), c | (static_cast<std::uint64_t>(d) << 32)};
    }
    [[gnu::always_inline]] static Ends bytes3(const char* p, std::size_t n) noexcept {  // n < 4
        Ends e;
        if (n > 0)
            e.first = static_cast<unsigned char>(p[0]) |
                      (static_cast<std::uint64_t>(static_cast<unsigned char>(p[n / 2])) << 8) |
                      (static_cast<std::uint64_t>(static_cast<unsigned char>(p[n - 1])) << 16);
        return e;
    }
    [[gnu::always_inline]] static Ends ends(const char* p, std::size_t n) noexcept {
        return n >= 4 ? quads(p, n) : bytes3(p, n);
    }
    /// The ends and the length folded into one word, first + 2 last + n (two additions, one of them
    /// with a scaled operand), which the seed's multiply then mixes. Texts whose keys agree (among
    /// them texts longer than 16 bytes that differ only in bytes the ends skip) leave find_seed()
    /// without a perfect table, so the probed table tells them apart; a key is never taken for a
    /// text: the lookups compare the ends and the length themselves.
    [[gnu::always_inline]] static std::uint64_t key(Ends e, std::size_t n) noexcept {
        return e.first + 2 * e.last + n;
    }
    /// Builds the lookup: the perfect table when find_seed() finds one, else the probed table.
    void finish() {
        if (!building.empty()) {
            texts = TextList(building);  // throws std::length_error past 4 GiB of texts
            building = std::vector<std::string>();
        }
        build_probed();
        find_seed();
        if (perfect) probed.reset();  // index_of reads only the perfect table
    }
    /// The probed table alone (index_of uses it while `perfect` is false).
    void build_probed() {
        std::size_t size = 8;
        while (size < 2 * this->size()) size *= 2;
        probed = std::make_unique<Probed>();
        std::vector<Entry>& table = probed->table;
        table.assign(size, Entry{0, nullptr, 0, -1});
        const std::uint64_t mask = probed->mask = size - 1;
        for (std::size_t i = 0; i < this->size(); ++i) {
            const std::string_view t = text(i);
            std::uint64_t h = hash(t);
            std::uint64_t at = h & mask;
            while (table[at].index >= 0) at = (at + 1) & mask;
            table[at] = Entry{h, t.data(), t.size(), static_cast<std::int32_t>(i)};
        }
    }
    /// Searches multiply-shift seeds (a fixed sequence, so the result is the same every load) for
    /// one that sends every key to its own home, in the smallest table it finds one for: from one
    /// entry per key up to 8 (at least 2 entries, at most 4,096). On success sets `seed` and `bits`
    /// (the table has 2^bits entries, key k's home is (k * seed) >> (64 - bits)); false when none
    /// is found. Tables of two entries a key or more get 256 seeds each. A smaller one (an entry is
    /// 32 bytes: a field of 14 values takes 16 rather than 32) gets up to tight_attempts seeds, and
    /// only when they are likely to hold one: a random seed separates n keys in m entries with
    /// probability p = (1 - 1/m)(1 - 2/m)...(1 - (n-1)/m), and the search skips the size when p
    /// times tight_attempts is below 3. A seed that fails mostly fails within the first few keys,
    /// and about 1/p seeds are tried before one separates them.
    static constexpr int tight_attempts = 1 << 15;
    static bool separate(const std::vector<std::uint64_t>& keys, std::uint64_t& seed, unsigned& bits) {
        unsigned least = 1, roomy = 1;
        while ((std::size_t{1} << least) < keys.size()) ++least;
        while ((std::size_t{1} << roomy) < 2 * keys.size()) ++roomy;
        std::uint64_t state = 0x2545F4914F6CDD1Dull;
        std::vector<std::uint8_t> used;
        for (unsigned b = least; b <= roomy + 2 && b <= 12; ++b) {
            std::size_t size = std::size_t{1} << b;
            int attempts = 256;
            if (b < roomy) {
                double p = 1.0;
                for (std::size_t i = 1; i < keys.size(); ++i)
                    p *= 1.0 - static_cast<double>(i) / static_cast<double>(size);
                if (p * tight_attempts < 3.0) continue;
                attempts = tight_attempts;
            }
            for (int attempt = 0; attempt < attempts; ++attempt) {
                state = state * 6364136223846793005ull + 1442695040888963407ull;
                std::uint64_t s = (state ^ (state >> 31)) | 1;
                used.assign(size, 0);
                bool ok = true;
                for (std::uint64_t k : keys) {
                    std::size_t at = static_cast<std::size_t>((k * s) >> (64 - b));
                    if (used[at]) {
                        ok = false;
                        break;
                    }
                    used[at] = 1;
                }
                if (!ok) continue;
                seed = s;
                bits = b;
                return true;
            }
        }
        return false;
    }
    /// The perfect table for index_of; leaves `perfect` false when separate() finds no seed.
    void find_seed() {
        perfect = false;
        homes = std::vector<Home>();
        std::vector<std::uint64_t> keys;
        for (std::size_t i = 0; i < size(); ++i) {
            const std::string_view t = text(i);
            if (t.size() >= slow) return;  // Home::size holds the length below bit 31
            keys.push_back(key(ends(t.data(), t.size()), t.size()));
        }
        std::uint64_t s = 0;
        unsigned b = 0;
        if (!separate(keys, s, b)) return;
        homes.assign(std::size_t{1} << b, Home{1, 0, 0, slow, -1});
        for (std::size_t i = 0; i < keys.size(); ++i) {
            const std::string_view t = text(i);
            Ends e = ends(t.data(), t.size());
            homes[static_cast<std::size_t>((keys[i] * s) >> (64 - b))] =
                Home{e.first, e.last, t.size() > 16 ? reinterpret_cast<std::uintptr_t>(t.data()) : 0,
                     static_cast<std::uint32_t>(t.size()) | slow, static_cast<std::int32_t>(i)};
        }
        seed = s;
        shift = 64 - b;
        perfect = true;
    }
    /// Inlined into its callers: the once-per-record lookup of every string input (a call costs
    /// about as much as the lookup itself).
    [[gnu::always_inline]] int index_of(std::string_view text) const noexcept {
        if (perfect) {
            const std::size_t n = text.size();
            const Ends w = ends(text.data(), n);
            const Home& e = homes[(key(w, n) * seed) >> shift];
            bool same = (e.first == w.first) & (e.last == w.last) & ((e.size & ~slow) == n);
            if (n > 16 && same)
                same = std::memcmp(reinterpret_cast<const char*>(e.tail), text.data(), n) == 0;
            return same ? e.index : -1;
        }
        if (!probed) return -1;
        const std::uint64_t h = hash(text), mask = probed->mask;
        const Entry* all = probed->table.data();
        for (std::uint64_t at = h & mask;; at = (at + 1) & mask) {
            const Entry& e = all[at];
            if (e.index < 0) return -1;
            if (e.hash == h && e.size == text.size() &&
                scorestream::detail::same_bytes(e.data, text.data(), text.size()))
                return e.index;
        }
    }
};

static_assert(Symbols::quads_cover(), "the four words must cover every byte of texts of 4 to 16 bytes");

/// The compiled document's evaluation data (slots and their definitions).
class Program {
public:
    Layout layout;
    std::vector<std::unique_ptr<FieldDomain>> domains;
    std::vector<std::unique_ptr<Treatment>> treatments;
    std::vector<ExprPtr> exprs;  ///< derived-field expressions owned here
    std::vector<std::unique_ptr<OutputDef>> outputs;

    std::vector<int> input_slots;  ///< by FeatureRow index
    /// Per input, what load_inputs needs without chasing the slot definition (built once): the
    /// inputs of the two kinds load_fast reads in two short loops, numbers and strings, each in
    /// its own list (number_inputs, string_inputs), and the others in `plan`; `fast` when `plan` is
    /// empty.
    struct InputPlan {
        std::uint32_t slot;
        std::uint32_t source;
        /// number: a double or float input; integer: the same with dataType integer (whole numbers).
        enum Kind : std::uint8_t { general, number, integer, string } kind = general;
        /// number and integer: the one valid interval as closed bounds (an open bound is stored as
        /// the next double inward, which is exact; NaN when no number can pass, so the general path
        /// decides)
        double lo = -HUGE_VAL, hi = HUGE_VAL;
    };
    std::vector<InputPlan> plan;
    /// `at` is the byte offset of the input's value in the row (its FeatureRow index times
    /// sizeof(Value)), so that reading it takes no multiply (value()).
    struct NumberInput {
        std::uint32_t slot, at;
        double lo, hi;
    };
    struct StringInput {
        std::uint32_t slot, at;
        /// The symbols' perfect table (Symbols::no_home when they have none), its seed and shift,
        /// copied here so that the usual lookup reads nothing else.
        const Symbols::Home* homes;
        std::uint64_t seed;
        std::uint64_t shift;
        const Symbols* symbols;
        /// A category index k passes when static_cast<std::uint32_t>(k) < limit: the number of
        /// listed values, or 2^32 when none are listed (then any string passes, -1 included).
        std::uint64_t limit;
        std::uint64_t divert;  ///< symbols->divert
    };
    static const Value& value(const Value* row, std::uint32_t at) noexcept {
        return *reinterpret_cast<const Value*>(reinterpret_cast<const char*>(row) + at);
    }
    static std::uint32_t offset_of(std::uint32_t source) noexcept {
        return static_cast<std::uint32_t>(source * sizeof(Value));
    }
    std::vector<NumberInput> number_inputs;
    std::vector<StringInput> string_inputs;
    bool fast = false;
    /// typed_numbers()'s case: the count of number_inputs up to 9 (9: more than 8), plus 10 when
    /// no input has an interval (every bound -inf or +inf), where a typed number passes when it is
    /// not NaN, one test rather than two.
    unsigned number_case = 0;
    void build_plan();
    std::vector<std::uint8_t> direct;  ///< per slot: a numeric input mirrored in EvalScratch::xs
    /// Per slot up to the last string input: its interned strings (null for other slots).
    std::vector<std::unique_ptr<Symbols>> symbols;

    /// True when load_inputs mirrors this slot into EvalScratch::xs (numeric) or cats (string):
    /// a top-level input that every reader sees without conversion.
    bool mirrored(int slot) const noexcept {
        auto i = static_cast<std::size_t>(slot);
        if (slot < 0 || i >= layout.slots.size()) return false;
        const SlotDef& d = layout.slots[i];
        return d.kind == SlotDef::Kind::input && d.source >= 0 &&
               static_cast<std::size_t>(d.source) < input_slots.size() &&
               input_slots[static_cast<std::size_t>(d.source)] == slot &&
               ((i < direct.size() && direct[i]) || (i < symbols.size() && symbols[i]));
    }

    void compute(Ctx& ctx, int slot) const;
    /// Reads and treats every input of the row (in row order) and fills the numeric view. An input
    /// the plan accepts as is (a number inside its interval, a listed string) only gets its numeric
    /// view or category index; its slot is left stale and, when something asks for it, computed from
    /// the row by compute(), which reaches the same verdict.
    void load_inputs(Ctx& ctx) const {
        if (fast && load_fast(ctx)) return;
        load_all_inputs(ctx);
    }
    std::unique_ptr<EvalScratch> make_scratch() const;

private:
    /// Documents whose inputs are all plain numbers and strings: fills the numeric view and the
    /// category indexes and returns true when every number input is a number, or a decimal text
    /// read_decimal reads, inside its interval and every string input is a listed (or, without
    /// listed values, any) string: the usual record. Otherwise false, and load_all_inputs starts
    /// over in row order, so that errors and treatments come out as they always do. Inline (below),
    /// so that the scoring function runs it without a call.
    inline bool load_fast(Ctx& ctx) const noexcept;
    void load_all_inputs(Ctx& ctx) const;
    void compute_treated(Ctx& ctx, const SlotDef& def, Value& v, int slot) const;
};

inline const Value& Ctx::get(int slot) {
    auto i = static_cast<std::size_t>(slot);
    if (s->stamps[i] != s->epoch) prog->compute(*this, slot);
    return s->values[i];
}

/// Converts v to `type`: strings to numbers when the type is numeric (false when not a number),
/// numbers to their text when the type is string (text stored in buffer `buf` when needed).
bool convert(Ctx& ctx, Value& v, DataType type, int buf);

/// Numeric view of a value (numbers as is, strings parsed); false when not numeric.
inline bool as_double(const Value& v, double& out) noexcept {
    if (v.is_number()) {
        out = v.as_number();
        return true;
    }
    if (v.is_string()) return parse_double(v.text(), out);
    return false;
}

/// One input of load_fast's number loop on typed values: false unless it is a number inside its
/// interval (NaN is not). No branch.
template <bool bounded>
[[gnu::always_inline]] inline bool typed_number(const Program::NumberInput& p, const Value* row,
                                                double* xs) noexcept {
    const Value& v = Program::value(row, p.at);
    double x = v.as_number();
    xs[p.slot] = x;
    if constexpr (bounded)
        return v.is_number() & (x >= p.lo) & (x <= p.hi);
    else
        return v.is_number() & (x == x);  // every bound infinite: the same as the two tests
}
/// typed_numbers() for exactly N inputs, unrolled.
template <std::size_t N, bool bounded>
[[gnu::always_inline]] inline bool typed_numbers_of(const Program::NumberInput* in, const Value* row,
                                                    double* xs) noexcept {
    bool ok = true;
#pragma GCC unroll 16
    for (std::size_t i = 0; i < N; ++i) ok &= typed_number<bounded>(in[i], row, xs);
    return ok;
}
/// The rest of typed_numbers() past its unrolled cases: a loop.
template <bool bounded>
inline bool typed_numbers_loop(const std::vector<Program::NumberInput>& inputs, const Value* row,
                               double* xs) noexcept {
    bool ok = true;
    for (const Program::NumberInput& p : inputs) ok &= typed_number<bounded>(p, row, xs);
    return ok;
}
/// load_fast's number loop on typed values: true when every input is a number inside its interval.
/// Unrolled for up to 8 inputs, with or without intervals (Program::number_case: the same case for
/// every record, one well-predicted jump).
[[gnu::always_inline]] inline bool typed_numbers(const std::vector<Program::NumberInput>& inputs,
                                                 unsigned number_case, const Value* row,
                                                 double* xs) noexcept {
    const Program::NumberInput* const in = inputs.data();
    switch (number_case) {
        case 1:
            return typed_numbers_of<1, true>(in, row, xs);
        case 2:
            return typed_numbers_of<2, true>(in, row, xs);
        case 3:
            return typed_numbers_of<3, true>(in, row, xs);
        case 4:
            return typed_numbers_of<4, true>(in, row, xs);
        case 5:
            return typed_numbers_of<5, true>(in, row, xs);
        case 6:
            return typed_numbers_of<6, true>(in, row, xs);
        case 7:
            return typed_numbers_of<7, true>(in, row, xs);
        case 8:
            return typed_numbers_of<8, true>(in, row, xs);
        case 11:
            return typed_numbers_of<1, false>(in, row, xs);
        case 12:
            return typed_numbers_of<2, false>(in, row, xs);
        case 13:
            return typed_numbers_of<3, false>(in, row, xs);
        case 14:
            return typed_numbers_of<4, false>(in, row, xs);
        case 15:
            return typed_numbers_of<5, false>(in, row, xs);
        case 16:
            return typed_numbers_of<6, false>(in, row, xs);
        case 17:
            return typed_numbers_of<7, false>(in, row, xs);
        case 18:
            return typed_numbers_of<8, false>(in, row, xs);
        case 19:
            return typed_numbers_loop<false>(inputs, row, xs);
        default:
            return typed_numbers_loop<true>(inputs, row, xs);
    }
}
/// The same for numbers given as text (core.cpp): each one a text read_decimal reads, inside its
/// interval; a text it does not read goes to the full loop, where parse_double decides.
bool text_numbers(const std::vector<Program::NumberInput>& inputs, const Value* row, double* xs) noexcept;
/// load_fast's string loop (core.cpp): true when every input is a string that passes (listed, or
/// any string when none are listed); fills the category indexes and the unlisted-value bits.
bool strings(const std::vector<Program::StringInput>& inputs, const Value* row, std::int32_t* cats,
             std::uint64_t& outside_bits) noexcept;

inline bool Program::load_fast(Ctx& ctx) const noexcept {
    const Value* row = ctx.row->begin();
    EvalScratch& s = *ctx.s;
    // A row holds numbers or texts (cells read from text) throughout, as a rule: its first number
    // input picks the loop; a row that mixes them takes the full loop.
    if (!number_inputs.empty() && !(value(row, number_inputs.front().at).is_string()
                                        ? text_numbers(number_inputs, row, s.xs.data())
                                        : typed_numbers(number_inputs, number_case, row, s.xs.data())))
        return false;
    std::uint64_t outside = 0;
    if (!string_inputs.empty() && !strings(string_inputs, row, s.cats.data(), outside)) return false;
    s.missing_bits = 0;
    s.outside_bits = outside;
    return true;
}

}  // namespace scorestream::pmml::detail
