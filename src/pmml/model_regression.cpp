// RegressionModel: regression tables with numeric, categorical and interaction terms, and every
// normalizationMethod of the spec.

#include "compiler.hpp"
#include "float_math.hpp"
#include "link.hpp"

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace scorestream::pmml::detail {
namespace {

/// apply_link in float32 arithmetic (x-mathContext="float"): each operation is a float operation,
/// each function value is computed in double on the float argument and rounded to float (see
/// float_math.hpp), as JPMML's float values compute them.
float link_float(Normalization norm, float y) noexcept {
    switch (norm) {
        case Normalization::none:
        case Normalization::simplemax:
            return y;
        case Normalization::softmax:
        case Normalization::logit:
            return 1.0f / (1.0f + fm::exp(-y));
        case Normalization::probit:
            return static_cast<float>(normal_cdf(static_cast<double>(y)));
        case Normalization::cloglog:
            return 1.0f - fm::exp(-fm::exp(y));
        case Normalization::loglog:
            return fm::exp(-fm::exp(-y));
        case Normalization::cauchit:
            return 0.5f + fm::atan(y) / static_cast<float>(M_PI);
        case Normalization::exp:
            return fm::exp(y);
    }
    return y;
}

/// normalize_ordinal in float32 arithmetic; ys hold float values on entry and on return.
void normalize_ordinal_float(Normalization norm, double* ys, std::size_t k) noexcept {
    float below = 0.0f;
    for (std::size_t i = 0; i + 1 < k; ++i) {
        const auto y = static_cast<float>(ys[i]);
        const float f = norm == Normalization::none ? std::min(std::max(y, 0.0f), 1.0f) : link_float(norm, y);
        ys[i] = static_cast<double>(f - below);
        below = f;
    }
    if (k > 0) ys[k - 1] = static_cast<double>(1.0f - below);
}

/// normalize_classes in float32 arithmetic; ys hold float values on entry and on return.
void normalize_classes_float(Normalization norm, double* ys, std::size_t k) noexcept {
    if (k == 0) return;
    float v[64];
    if (k > 64) {  // beyond the stack buffer: double arithmetic, rounded
        normalize_classes(norm, ys, k);
        for (std::size_t i = 0; i < k; ++i) ys[i] = static_cast<double>(static_cast<float>(ys[i]));
        return;
    }
    for (std::size_t i = 0; i < k; ++i) v[i] = static_cast<float>(ys[i]);
    if (norm == Normalization::softmax || norm == Normalization::simplemax) {
        float sum = 0;
        for (std::size_t i = 0; i < k; ++i) {
            if (norm == Normalization::softmax) v[i] = fm::exp(v[i]);
            sum += v[i];
        }
        for (std::size_t i = 0; i < k; ++i) v[i] /= sum;
    } else {
        float rest = 1.0f;
        for (std::size_t i = 0; i + 1 < k; ++i) {
            v[i] = link_float(norm, v[i]);
            rest -= v[i];
        }
        v[k - 1] = rest;
    }
    for (std::size_t i = 0; i < k; ++i) ys[i] = static_cast<double>(v[i]);
}

class RegressionModelImpl final : public CompiledModel {
public:
    struct NumTerm {
        int slot;
        double coef;
        double exponent;
        bool mirrored = false;  ///< read from EvalScratch::xs (set by seal)
    };
    struct CatTerm {
        int slot;
        std::string text;
        double num;
        bool has_num;
        int index = -1;  ///< position of `text` in the input's listed values (fast path), or -1
        double coef;
    };
    struct InterTerm {
        std::vector<int> slots;
        double coef;
    };
    /// The categorical terms of one string input, when each of its values has at most one term and
    /// its terms are contiguous in the document: group_coefs[offset + k] is the coefficient of
    /// category index k below `size` and group_coefs[offset + size] is -0.0, as is the entry of every
    /// index without a term. An index k adds group_coefs[offset + min(k, size)] (add()): -1
    /// (unlisted) and -2 (missing) are large as unsigned numbers and take the last entry. Adding
    /// -0.0 leaves every sum as it is (-0.0 included), so the matching term costs one indexed load
    /// and an add, and no term a branch.
    struct CatGroup {
        int slot;
        std::uint32_t size;    ///< number of category indexes covered
        std::uint32_t offset;  ///< into Table::group_coefs
        static std::uint32_t at(std::uint32_t k, std::uint32_t size) noexcept { return k < size ? k : size; }
    };
    struct Table {
        double intercept = 0.0;
        int category = -1;
        std::vector<NumTerm> nums;
        std::vector<CatTerm> cats;
        std::vector<InterTerm> inters;
        std::vector<CatGroup> groups;  ///< replaces `cats` on the typed path when not empty
        std::vector<double> group_coefs;
        /// Double arithmetic, every numeric term on a mirrored input with exponent 1, no interaction
        /// terms, categorical terms (if any) grouped: dense_value() adds the same terms in the same
        /// order from (slot, coefficient) pairs.
        bool dense = false;
        std::vector<std::pair<std::size_t, double>> dense_nums;
    };
    std::vector<Table> tables;
    Normalization norm = Normalization::none;
    /// The target is ordinal: the tables' scores are cumulative (normalize_ordinal).
    bool ordinal = false;
    int work = -1;
    /// Classification: the tables list the model's categories in order (their scores are the
    /// result's probabilities as they are); else by_category is a work row of one probability per
    /// category for class_probabilities().
    bool in_order = false;
    /// The tables list every category once, in another order: class_probabilities() scatters the
    /// scores over its row without zeroing it first.
    bool permuted = false;
    int by_category = -1;
    std::vector<std::uint32_t> table_categories;  ///< per table: its category (classification)

    /// The tables of a classification in double arithmetic, compiled by seal() for
    /// class_probabilities() (the direct plan) when every table is dense and every category has one
    /// table: what the dense sum reads, without its per-record tests of facts known at load time. It
    /// serves a record on which none of its numeric inputs is missing (EvalScratch::missing_bits), so
    /// no input is a NaN; every other record takes class_scores() as before. evaluate() (the general
    /// path) does not use it: its code stays as it was, which the exception path of documents whose
    /// expressions fail on every record is sensitive to (the unwinder interprets the frame's CFA
    /// program up to the call that threw).
    struct Compact {
        struct Num {
            std::size_t slot;
            double coef;
        };
        /// A categorical input's terms: coefs[base + k] for its category index k, which the input
        /// loaders keep within -2 (missing), -1 (unlisted) and the input's number of interned strings
        /// (fixed before seal()); the entries of -2, -1 and of every index without a term are -0.0.
        struct Group {
            std::size_t slot;
            std::ptrdiff_t base;
        };
        /// One table: nums [num_begin, num_end) and groups [group_begin, group_end) in the dense
        /// sum's order (numeric terms in document order, then the groups).
        struct Part {
            double intercept;
            std::uint32_t num_begin, num_end, group_begin, group_end;
            bool zero;  ///< no terms and an intercept of +-0: its score is the intercept
        };
        enum class Kind : std::uint8_t {
            none,  ///< not compiled: class_scores() serves every record
            general,
            /// Softmax over two tables, one of which is `zero` (a logistic regression's reference
            /// class): exp of one score.
            softmax_pair,
            softmax_three,  ///< softmax over three tables, unrolled
        };
        std::vector<Num> nums;
        std::vector<Group> groups;
        std::vector<double> coefs;
        std::vector<Part> parts;         ///< per table
        std::vector<std::uint32_t> to;   ///< per table: its place in the result row
        std::uint64_t numeric_bits = 0;  ///< EvalScratch::missing_bits of the numeric inputs read
        Kind kind = Kind::none;
        /// softmax_pair: the table that is not `zero`, and the places of both in the result row
        std::uint32_t live = 0, live_at = 0, zero_at = 0;

        /// The dense sum of table t: the same operations in the same order as dense_value().
        [[gnu::always_inline]] inline double value(std::size_t t, const double* xs,
                                                   const std::int32_t* cats) const noexcept {
            const Part& p = parts[t];
            double acc = p.intercept;
            const Num* const n = nums.data();
            acc = add_terms(acc, n + p.num_begin, n + p.num_end,
                            [xs](double sum, const Num& e) { return sum + e.coef * xs[e.slot]; });
            const double* c = coefs.data();
            const Group* const g = groups.data();
            return add_terms(acc, g + p.group_begin, g + p.group_end, [c, cats](double sum, const Group& e) {
                return sum + c[e.base + cats[e.slot]];
            });
        }
        /// add(...add(add(acc, *from), from[1])..., end[-1]): eight terms at a time while more than
        /// eight are left, then the last one to eight written out, entered by their count (a loop over
        /// a few terms costs more in its control than in its arithmetic).
        template <class Term, class Add>
        [[gnu::always_inline]] static double add_terms(double acc, const Term* from, const Term* end,
                                                       Add add) noexcept {
            auto count = static_cast<std::size_t>(end - from);
            for (; __builtin_expect(count > 8, 0); from += 8, count -= 8)
                for (int i = 0; i < 8; ++i) acc = add(acc, from[i]);
            switch (count) {
                case 8:
                    acc = add(acc, end[-8]);
                    [[fallthrough]];
                case 7:
                    acc = add(acc, end[-7]);
                    [[fallthrough]];
                case 6:
                    acc = add(acc, end[-6]);
                    [[fallthrough]];
                case 5:
                    acc = add(acc, end[-5]);
                    [[fallthrough]];
                case 4:
                    acc = add(acc, end[-4]);
                    [[fallthrough]];
                case 3:
                    acc = add(acc, end[-3]);
                    [[fallthrough]];
                case 2:
                    acc = add(acc, end[-2]);
                    [[fallthrough]];
                case 1:
                    acc = add(acc, end[-1]);
                    [[fallthrough]];
                default:
                    break;
            }
            return acc;
        }
        std::size_t memory_bytes() const noexcept {
            return nums.capacity() * sizeof(Num) + groups.capacity() * sizeof(Group) +
                   coefs.capacity() * sizeof(double) + parts.capacity() * sizeof(Part) +
                   to.capacity() * sizeof(std::uint32_t);
        }
    };
    Compact compact;

    std::size_t memory_bytes() const override {
        std::size_t n = own_bytes(*this) + tables.capacity() * sizeof(Table) +
                        table_categories.capacity() * sizeof(std::uint32_t) + compact.memory_bytes();
        for (const Table& t : tables) {
            n += t.nums.capacity() * sizeof(NumTerm) + t.cats.capacity() * sizeof(CatTerm) +
                 t.inters.capacity() * sizeof(InterTerm) + t.groups.capacity() * sizeof(CatGroup) +
                 t.group_coefs.capacity() * sizeof(double) +
                 t.dense_nums.capacity() * sizeof(std::pair<std::size_t, double>);
            for (const CatTerm& c : t.cats) n += heap_bytes(c.text);
            for (const InterTerm& i : t.inters) n += i.slots.capacity() * sizeof(int);
        }
        return n;
    }

    /// False when a numeric input is missing. T is the arithmetic type: double, or float for
    /// x-mathContext="float" (every constant, input, product and sum rounded to float32).
    template <class T>
    bool table_value(Ctx& ctx, const Table& t, double& y) const {
        T acc = static_cast<T>(t.intercept);
        const double* xs = ctx.s->xs.data();
        for (const auto& term : t.nums) {
            double x = term.mirrored ? xs[static_cast<std::size_t>(term.slot)] : nan_v;
            if (x != x && !as_double(ctx.get(term.slot), x)) return false;  // missing, or not mirrored
            T xt = static_cast<T>(x);
            acc += static_cast<T>(term.coef) *
                   (term.exponent == 1.0 ? xt : fm::pow(xt, static_cast<T>(term.exponent)));
        }
        if (!t.groups.empty()) {
            const std::int32_t* cats = ctx.s->cats.data();
            const double* coefs = t.group_coefs.data();
            for (const auto& g : t.groups) {
                auto k = static_cast<std::uint32_t>(cats[static_cast<std::size_t>(g.slot)]);
                acc += static_cast<T>(coefs[g.offset + CatGroup::at(k, g.size)]);
            }
        }
        for (const auto& term : t.cats) {
            if (!t.groups.empty()) break;
            if (term.index >= 0) {
                if (ctx.s->cats[static_cast<std::size_t>(term.slot)] == term.index)
                    acc += static_cast<T>(term.coef);
                continue;
            }
            const Value& v = ctx.get(term.slot);
            if (v.is_missing()) continue;
            bool match = v.is_number() && term.has_num ? v.as_number() == term.num : v.text() == term.text;
            if (match) acc += static_cast<T>(term.coef);
        }
        for (const auto& term : t.inters) {
            T prod = static_cast<T>(term.coef);
            for (int s : term.slots) {
                double x;
                if (!as_double(ctx.get(s), x)) return false;
                prod *= static_cast<T>(x);
            }
            acc += prod;
        }
        y = static_cast<double>(acc);
        return true;
    }
    bool table_value(Ctx& ctx, const Table& t, double& y) const {
        if (float_math) return table_value<float>(ctx, t, y);
        if (t.dense && dense_value(ctx.s->xs.data(), ctx.s->cats.data(), t, y)) return true;
        return table_value<double>(ctx, t, y);
    }
    /// table_value<double> of a dense table without its per-term checks; false when a numeric input
    /// is not a number in the numeric view (table_value<double> then decides, reading its slot).
    static bool dense_value(const double* xs, const std::int32_t* cats, const Table& t, double& y) noexcept {
        double acc = t.intercept;
        for (const auto& [slot, coef] : t.dense_nums) {
            double x = xs[slot];
            if (x != x) return false;
            acc += coef * x;
        }
        const double* coefs = t.group_coefs.data();
        for (const auto& g : t.groups) {
            auto k = static_cast<std::uint32_t>(cats[static_cast<std::size_t>(g.slot)]);
            acc += coefs[g.offset + CatGroup::at(k, g.size)];
        }
        y = acc;
        return true;
    }

    void seal(const Program& prog) override {
        for (auto& t : tables) {
            for (auto& term : t.nums)
                term.mirrored = prog.mirrored(term.slot) && prog.direct[static_cast<std::size_t>(term.slot)];
            group(prog, t);
            t.dense = !float_math && t.inters.empty() && (t.cats.empty() || !t.groups.empty());
            t.dense_nums.clear();
            for (const auto& term : t.nums) {
                t.dense = t.dense && term.mirrored && term.exponent == 1.0;
                t.dense_nums.emplace_back(static_cast<std::size_t>(term.slot), term.coef);
            }
            if (!t.dense) t.dense_nums = {};
        }
        compact = compile_compact(prog);
    }

    /// The Compact form of the tables (kind none when it does not apply). finalize() has run, so
    /// in_order, permuted and table_categories are known.
    Compact compile_compact(const Program& prog) const {
        Compact c;
        if (!classification() || float_math || !(in_order || permuted)) return c;
        std::size_t zeros = 0;
        for (const Table& t : tables) {
            if (!t.dense) return Compact{};
            Compact::Part p{t.intercept, static_cast<std::uint32_t>(c.nums.size()),
                            0,           static_cast<std::uint32_t>(c.groups.size()),
                            0,           false};
            for (const auto& [slot, coef] : t.dense_nums) {
                c.nums.push_back({slot, coef});
                c.numeric_bits |= std::uint64_t{1} << (slot & 63);
            }
            for (const CatGroup& g : t.groups) {
                auto slot = static_cast<std::size_t>(g.slot);
                // Every index an input loader writes is below the number of interned strings.
                if (slot >= prog.symbols.size() || !prog.symbols[slot] ||
                    prog.symbols[slot]->size() != g.size)
                    return Compact{};
                c.groups.push_back({slot, static_cast<std::ptrdiff_t>(c.coefs.size()) + 2});
                c.coefs.push_back(-0.0);  // -2: missing
                c.coefs.push_back(-0.0);  // -1: unlisted
                c.coefs.insert(c.coefs.end(), t.group_coefs.begin() + g.offset,
                               t.group_coefs.begin() + g.offset + g.size);
            }
            p.num_end = static_cast<std::uint32_t>(c.nums.size());
            p.group_end = static_cast<std::uint32_t>(c.groups.size());
            p.zero = t.nums.empty() && t.cats.empty() && t.inters.empty() && t.intercept == 0.0;
            zeros += p.zero ? 1 : 0;
            c.parts.push_back(p);
            c.to.push_back(in_order ? static_cast<std::uint32_t>(c.to.size())
                                    : table_categories[c.to.size()]);
        }
        c.kind = Compact::Kind::general;
        if (norm == Normalization::softmax && tables.size() == 2 && zeros == 1) {
            c.kind = Compact::Kind::softmax_pair;
            c.live = c.parts[0].zero ? 1 : 0;
            c.live_at = c.to[c.live];
            c.zero_at = c.to[c.live ^ 1u];
        } else if (norm == Normalization::softmax && tables.size() == 3) {
            c.kind = Compact::Kind::softmax_three;
        }
        return c;
    }

    /// Builds Table::groups when every categorical term reads a mirrored string input by category
    /// index, each input's terms are contiguous and no value has two terms (then the sum adds the
    /// matching coefficients in the document's order, as the term loop does).
    static void group(const Program& prog, Table& t) {
        t.groups.clear();
        t.group_coefs.clear();
        std::vector<CatGroup> groups;
        std::vector<double> coefs;
        std::vector<bool> has_term;  // per entry of coefs
        for (std::size_t i = 0; i < t.cats.size(); ++i) {
            const CatTerm& term = t.cats[i];
            auto slot = static_cast<std::size_t>(term.slot);
            if (term.index < 0 || !prog.mirrored(term.slot) || slot >= prog.symbols.size() ||
                !prog.symbols[slot])
                return;
            if (groups.empty() || groups.back().slot != term.slot) {
                for (const auto& g : groups)
                    if (g.slot == term.slot) return;  // not contiguous
                auto n = static_cast<std::uint32_t>(prog.symbols[slot]->size());
                groups.push_back({term.slot, n, static_cast<std::uint32_t>(coefs.size())});
                coefs.resize(coefs.size() + n + 1, -0.0);  // the last entry: every other index
                has_term.resize(coefs.size(), false);
            }
            const CatGroup& g = groups.back();
            auto k = static_cast<std::uint32_t>(term.index);
            if (k >= g.size || has_term[g.offset + k]) return;  // a value with two terms
            coefs[g.offset + k] = term.coef;
            has_term[g.offset + k] = true;
        }
        t.groups = std::move(groups);
        t.group_coefs = std::move(coefs);
    }

protected:
    void evaluate(Ctx& ctx, ModelResult& r) const override {
        if (!classification()) {
            double y;
            if (!table_value(ctx, tables[0], y)) return;
            r.value = Value::number(float_math ? static_cast<double>(link_float(norm, static_cast<float>(y)))
                                               : apply_link(norm, y));
            return;
        }
        double* ys = ctx.work(work);
        if (!class_scores(ctx, ys)) return;
        for (std::size_t i = 0; i < tables.size(); ++i)
            r.probs[static_cast<std::size_t>(tables[i].category)] = ys[i];
        r.has_probs = true;
        pick_best(r);
    }

public:
    std::string walk_summary() const override {
        switch (compact.kind) {
            case Compact::Kind::none:
                return {};
            case Compact::Kind::softmax_pair:
                return "class probabilities from compiled tables, the softmax of one score";
            case Compact::Kind::softmax_three:
                return "class probabilities from compiled tables, a softmax of three";
            default:
                return "class probabilities from compiled tables";
        }
    }
    bool gives_class_probabilities() const override { return classification() && by_category >= 0; }
    /// The result's probabilities: the normalized scores in table order as they are when the tables
    /// list the categories in order, else scattered over a zeroed row as evaluate() does.
    const double* class_probabilities(Ctx& ctx) const override {
        if (compact_applies(ctx)) return compact_probabilities(ctx);
        return scored_probabilities(ctx);
    }
    /// class_probabilities() by class_scores(), table by table (out of line: the Compact form's
    /// records then run without its frame).
    [[gnu::noinline]] const double* scored_probabilities(Ctx& ctx) const {
        double* ys = ctx.work(work);
        if (!class_scores(ctx, ys)) return nullptr;
        if (in_order) return ys;
        double* probs = ctx.work(by_category);
        if (!permuted) std::fill(probs, probs + categories.size(), 0.0);
        const std::uint32_t* to = table_categories.data();
        const std::size_t k = table_categories.size();
        if (k == 2) {  // two tables (a logistic regression) not in category order: no loop
            probs[to[0]] = ys[0];
            probs[to[1]] = ys[1];
            return probs;
        }
        for (std::size_t i = 0; i < k; ++i) probs[to[i]] = ys[i];
        return probs;
    }
    void finalize(Layout& layout) override {
        if (!classification()) return;
        table_categories.clear();
        for (const auto& t : tables) table_categories.push_back(static_cast<std::uint32_t>(t.category));
        in_order = tables.size() == categories.size();
        for (std::size_t i = 0; in_order && i < tables.size(); ++i)
            in_order = tables[i].category == static_cast<int>(i);
        std::vector<bool> seen(categories.size(), false);
        permuted = !in_order && tables.size() == categories.size();
        for (std::size_t i = 0; permuted && i < tables.size(); ++i) {
            auto c = static_cast<std::size_t>(tables[i].category);
            permuted = c < seen.size() && !seen[c];
            if (permuted) seen[c] = true;
        }
        if (!in_order)
            by_category = layout.add_work(static_cast<int>(categories.size()));
        else
            by_category = work;
    }

private:
    /// The Compact form serves this record: none of its numeric inputs is missing.
    bool compact_applies(const Ctx& ctx) const noexcept {
        return compact.kind != Compact::Kind::none && (ctx.s->missing_bits & compact.numeric_bits) == 0;
    }
    /// class_probabilities() by the Compact form, for a record on which none of its numeric inputs
    /// is missing: the dense sums, then normalize_classes()'s operations in its order, stored in
    /// the result row. Each kind out of line with a frame of its own (the pair's is small).
    const double* compact_probabilities(Ctx& ctx) const {
        switch (compact.kind) {
            case Compact::Kind::softmax_pair:
                return pair_probabilities(ctx);
            case Compact::Kind::softmax_three:
                return three_probabilities(ctx);
            default:
                return general_probabilities(ctx);
        }
    }
    [[gnu::noinline]] const double* pair_probabilities(Ctx& ctx) const {
        // The zero table's exp is exactly 1, and 1 + e is e + 1 bit for bit. normalize_classes()
        // skips exp for a zero score, whose exp is exactly 1 (C's Annex F; glibc returns 1 + x for
        // |x| below 2^-54): calling it gives the same bits.
        double y = compact.value(compact.live, ctx.s->xs.data(), ctx.s->cats.data());
        double e = std::exp(y);
        double sum = e + 1.0;
        double* out = ctx.work(by_category);  // the work row itself when in_order
        out[compact.live_at] = e / sum;
        out[compact.zero_at] = 1.0 / sum;
        return out;
    }
    [[gnu::noinline]] const double* three_probabilities(Ctx& ctx) const {
        // normalize_classes_general's softmax: its sum 0 + a + b + c is (a + b) + c bit for bit, a
        // being an exp (+0 or more, or a NaN, which 0 + a keeps as it is).
        const double* xs = ctx.s->xs.data();
        const std::int32_t* cats = ctx.s->cats.data();
        double a = compact.value(0, xs, cats), b = compact.value(1, xs, cats), c = compact.value(2, xs, cats);
        a = a == 0.0 ? 1.0 : std::exp(a);
        b = b == 0.0 ? 1.0 : std::exp(b);
        c = c == 0.0 ? 1.0 : std::exp(c);
        double sum = a + b + c;
        double* out = ctx.work(by_category);
        const std::uint32_t* to = compact.to.data();
        out[to[0]] = a / sum;
        out[to[1]] = b / sum;
        out[to[2]] = c / sum;
        return out;
    }
    [[gnu::noinline]] const double* general_probabilities(Ctx& ctx) const {
        const double* xs = ctx.s->xs.data();
        const std::int32_t* cats = ctx.s->cats.data();
        double* ys = ctx.work(work);
        const std::size_t k = compact.parts.size();
        for (std::size_t i = 0; i < k; ++i) ys[i] = compact.value(i, xs, cats);
        if (ordinal)
            normalize_ordinal(norm, ys, k);
        else
            normalize_classes(norm, ys, k);
        if (in_order) return ys;
        double* out = ctx.work(by_category);
        const std::uint32_t* to = compact.to.data();
        for (std::size_t i = 0; i < k; ++i) out[to[i]] = ys[i];
        return out;
    }

    /// Classification: the normalized score of every table, in table order, into ys; false when a
    /// table has no value (a numeric input is missing).
    /// Inline in class_probabilities(), which the direct plan calls for every record.
    [[gnu::always_inline]] inline bool class_scores(Ctx& ctx, double* ys) const {
        std::size_t k = tables.size();
        for (std::size_t i = 0; i < k; ++i)
            if (!table_value(ctx, tables[i], ys[i])) return false;
        if (ordinal)
            float_math ? normalize_ordinal_float(norm, ys, k) : normalize_ordinal(norm, ys, k);
        else if (float_math)
            normalize_classes_float(norm, ys, k);
        else
            normalize_classes(norm, ys, k);
        return true;
    }
};

}  // namespace

std::unique_ptr<CompiledModel> compile_regression_model(ModelContext& mc) {
    auto m = std::make_unique<RegressionModelImpl>();
    auto& c = mc.c;
    c.init_model(*m, mc);
    auto n = mc.node;
    if (mc.target_name.empty() && c.has_attr(n, "targetFieldName"))
        mc.target_name = std::string(c.attr(n, "targetFieldName"));
    m->norm = parse_normalization(c, n, c.attr(n, "normalizationMethod"));
    auto tables = Compiler::children(n, "RegressionTable");
    if (tables.empty()) c.parse_fail(n, "RegressionModel without a RegressionTable");
    if (!m->classification() && tables.size() != 1)
        c.invalid(n, "a regression RegressionModel needs exactly one RegressionTable");
    for (auto t : tables) {
        RegressionModelImpl::Table table;
        table.intercept = c.required_number(t, "intercept");
        if (m->classification()) {
            const auto text = c.required(t, "targetCategory");
            table.category = m->intern_category(text);
            for (const auto& other : m->tables)
                if (other.category == table.category)
                    c.invalid(t, "a second RegressionTable for targetCategory '" + std::string(text) + "'");
        }
        for (auto np : Compiler::children(t, "NumericPredictor")) {
            RegressionModelImpl::NumTerm term;
            term.slot = c.resolve_slot(mc.scope, c.required(np, "name"), np);
            term.coef = c.required_number(np, "coefficient");
            term.exponent = c.number(np, "exponent", 1.0);
            table.nums.push_back(term);
        }
        for (auto cp : Compiler::children(t, "CategoricalPredictor")) {
            RegressionModelImpl::CatTerm term;
            term.slot = c.resolve_slot(mc.scope, c.required(cp, "name"), cp);
            term.text = std::string(c.required(cp, "value"));
            term.has_num = c.slot_type(term.slot) != DataType::string && parse_double(term.text, term.num);
            if (!term.has_num) term.num = 0;
            term.coef = c.required_number(cp, "coefficient");
            if (Symbols* sym = c.symbols(term.slot)) term.index = sym->intern(term.text);
            table.cats.push_back(std::move(term));
        }
        for (auto pt : Compiler::children(t, "PredictorTerm")) {
            RegressionModelImpl::InterTerm term;
            term.coef = c.required_number(pt, "coefficient");
            for (auto fr : Compiler::children(pt, "FieldRef"))
                term.slots.push_back(c.resolve_slot(mc.scope, c.required(fr, "field"), fr));
            if (term.slots.empty()) c.parse_fail(pt, "PredictorTerm without FieldRef");
            table.inters.push_back(std::move(term));
        }
        m->tables.push_back(std::move(table));
    }
    if (m->classification()) {
        if (m->tables.size() < 2)
            c.invalid(n, "a classification RegressionModel needs at least two RegressionTables");
        // An ordinal target's tables give cumulative probabilities, in the tables' order. The
        // functions of one score (logit to cauchit) turn k scores into k probabilities only so, or
        // for two categories; exp into none at all.
        OpType op = mc.target_domain ? mc.target_domain->optype : OpType::categorical;
        if (auto ms = Compiler::child(n, "MiningSchema"))
            for (auto mf : Compiler::children(ms, "MiningField"))
                if (c.attr(mf, "name") == mc.target_name && c.has_attr(mf, "optype")) op = c.op_type(mf, op);
        const std::string method(c.attr(n, "normalizationMethod").empty() ? "none"
                                                                          : c.attr(n, "normalizationMethod"));
        const bool one_score = m->norm != Normalization::none && m->norm != Normalization::softmax &&
                               m->norm != Normalization::simplemax && m->norm != Normalization::exp;
        if (m->norm == Normalization::exp)
            c.invalid(n, "normalizationMethod 'exp' gives no probabilities (it is for regression)");
        if (op == OpType::ordinal) {
            if (m->norm == Normalization::softmax || m->norm == Normalization::simplemax)
                c.invalid(n, "normalizationMethod '" + method + "' does not apply to the ordinal target '" +
                                 mc.target_name + "' (none, logit, probit, cloglog, loglog and cauchit do)");
            m->ordinal = true;
        } else if (one_score && m->tables.size() > 2) {
            c.invalid(n, "normalizationMethod '" + method +
                             "' needs two target categories or an ordinal target ('" + mc.target_name +
                             "' is categorical, with " + std::to_string(m->tables.size()) +
                             " RegressionTables)");
        }
        m->work = c.prog.layout.add_work(static_cast<int>(m->tables.size()));
    }
    return m;
}

}  // namespace scorestream::pmml::detail
