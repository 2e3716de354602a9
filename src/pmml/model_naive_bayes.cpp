// NaiveBayesModel: BayesInputs with PairCounts (discrete fields, optionally binned by a
// DerivedField such as a Discretize) or TargetValueStats (continuous fields: Gaussian or Poisson
// distributions), BayesOutput counts as priors, and the threshold that stands in for a zero count
// or a density below it.
//
// Likelihoods are summed on the log scale, as the spec's L_k = count[T_k] * prod_j P(I_j | T_k)
// is usually evaluated: ln count[T_k] first, then ln P(I_j | T_k) for each input in document
// order, and the probabilities are exp(l_k - max) / sum. Discrete terms are precomputed at load
// (ln(count / sum of the input's counts for T_k), ln threshold for a zero or absent count); a
// missing input, or a value no PairCounts lists, contributes nothing.

#include "compiler.hpp"
#include "float_math.hpp"

#include <cmath>
#include <cstdio>

namespace scorestream::pmml::detail {
namespace {

class NaiveBayesModelImpl final : public FloatOrDouble<NaiveBayesModelImpl> {
public:
    enum class Dist : std::uint8_t { none, gaussian, poisson };
    struct Stat {
        Dist dist = Dist::none;
        double mean = 0, sd = 1, log_norm = 0;  ///< gaussian: ln(sd) + ln(2 pi) / 2
    };
    struct Input {
        int slot = -1;
        const Expr* derived = nullptr;  ///< the BayesInput's own DerivedField (binning), if any
        bool continuous = false;
        // discrete: one row of ln P(value | T_k) per listed value
        std::vector<std::string> values;
        std::vector<double> nums;
        std::vector<std::uint8_t> has_num;
        std::vector<double> logp;    ///< values x categories
        std::vector<int> by_symbol;  ///< interned string index of the input -> row (-1: none)
        // continuous: one distribution per category
        std::vector<Stat> stats;
    };
    std::vector<Input> inputs;
    std::vector<ExprPtr> derived_exprs;
    std::vector<double> log_prior;  ///< per category: ln count[T_k] (-inf for a zero count)
    double threshold = 0;
    double log_threshold = 0;
    std::size_t nc = 0;  ///< categories the counts cover (Output may add more, without counts)

    std::size_t memory_bytes() const override {
        std::size_t n =
            own_bytes(*this) + inputs.capacity() * sizeof(Input) + log_prior.capacity() * sizeof(double);
        for (const auto& in : inputs)
            n += in.values.capacity() * sizeof(std::string) + in.logp.capacity() * sizeof(double) +
                 in.by_symbol.capacity() * sizeof(int) + in.stats.capacity() * sizeof(Stat) +
                 in.nums.capacity() * sizeof(double);
        return n;
    }

    std::string summary() const override {
        std::size_t continuous = 0;
        for (const auto& in : inputs) continuous += in.continuous ? 1 : 0;
        char t[32];
        std::snprintf(t, sizeof t, "%g", threshold);
        return std::to_string(inputs.size()) + " inputs (" + std::to_string(inputs.size() - continuous) +
               " with PairCounts, " + std::to_string(continuous) + " with TargetValueStats), " +
               std::to_string(nc) + " classes, threshold " + t;
    }

    /// The row of a discrete input for this record's value, or -1.
    int row_of(Ctx& ctx, const Input& in, const Value& v) const {
        if (!in.derived && !in.by_symbol.empty()) {
            std::int32_t k = ctx.s->cats[static_cast<std::size_t>(in.slot)];
            if (k >= 0 && static_cast<std::size_t>(k) < in.by_symbol.size())
                return in.by_symbol[static_cast<std::size_t>(k)];
            if (k == -1 && v.is_string()) return -1;  // a string no PairCounts names
        }
        for (std::size_t i = 0; i < in.values.size(); ++i) {
            bool match =
                v.is_number() && in.has_num[i] ? v.as_number() == in.nums[i] : v.text() == in.values[i];
            if (match) return static_cast<int>(i);
        }
        return -1;
    }

    /// The density of s at x, in T (see float_math.hpp); the Stat holds T values.
    template <class T>
    static T density(const Stat& s, T x) {
        switch (s.dist) {
            case Dist::gaussian: {
                T z = (x - fm::num<T>(s.mean)) / fm::num<T>(s.sd);
                return fm::exp(fm::num<T>(-0.5) * z * z - fm::num<T>(s.log_norm));
            }
            case Dist::poisson: {
                if (x < 0 || x != std::floor(x)) return 0;
                T mean = fm::num<T>(s.mean);
                return fm::exp(x * fm::log(mean) - mean - fm::lgamma(x + T(1)));
            }
            case Dist::none:
                break;
        }
        return 1;
    }

protected:
    friend class FloatOrDouble<NaiveBayesModelImpl>;

private:
    /// The model in T: double, or float for x-mathContext="float" (then the load-time tables hold
    /// float values, and the log-likelihood sums, densities and the normalization are in float).
    template <class T>
    void evaluate_as(Ctx& ctx, ModelResult& r) const {
        double* l = r.probs.data();
        for (std::size_t k = 0; k < nc; ++k) l[k] = log_prior[k];
        for (const auto& in : inputs) {
            Value v = in.derived ? in.derived->eval(ctx) : ctx.get(in.slot);
            if (v.is_missing()) continue;
            if (in.continuous) {
                double xd;
                if (!as_double(v, xd)) continue;
                T x = fm::num<T>(xd);
                for (std::size_t k = 0; k < nc; ++k) {
                    const Stat& s = in.stats[k];
                    if (s.dist == Dist::none) continue;
                    T p = density<T>(s, x);
                    if (p < fm::num<T>(threshold)) p = fm::num<T>(threshold);
                    // the logarithm first, so l[k] is read after the call (same sum: + commutes)
                    l[k] = static_cast<double>(fm::log(p) + fm::num<T>(l[k]));
                }
                continue;
            }
            int row = row_of(ctx, in, v);
            if (row < 0) continue;
            const double* lp = in.logp.data() + static_cast<std::size_t>(row) * nc;
            for (std::size_t k = 0; k < nc; ++k)
                l[k] = static_cast<double>(fm::num<T>(l[k]) + fm::num<T>(lp[k]));
        }
        double max = -HUGE_VAL;
        for (std::size_t k = 0; k < nc; ++k)
            if (l[k] > max) max = l[k];
        if (!(max > -HUGE_VAL) || std::isnan(max)) {
            std::fill(l, l + nc, 0.0);
            return;  // every class has likelihood zero: no prediction
        }
        T sum = 0;
        for (std::size_t k = 0; k < nc; ++k) {
            T e = fm::exp(fm::num<T>(l[k]) - fm::num<T>(max));
            l[k] = static_cast<double>(e);
            sum += e;
        }
        if (sum != 1)
            for (std::size_t k = 0; k < nc; ++k) l[k] = static_cast<double>(fm::num<T>(l[k]) / sum);
        r.has_probs = true;
        pick_best(r);
    }
};

/// A Gaussian distribution's standard deviation and ln(sd) + ln(2 pi) / 2, computed in T.
template <class T>
void gaussian_terms(NaiveBayesModelImpl::Stat& s, double variance) {
    T sd = fm::sqrt(fm::num<T>(variance));
    s.sd = static_cast<double>(sd);
    s.log_norm =
        static_cast<double>(fm::log(sd) + fm::num<T>(0.5) * fm::log(fm::num<T>(2.0) * fm::num<T>(M_PI)));
    s.mean = static_cast<double>(fm::num<T>(s.mean));
}

/// ln(count / sum) in T (ln count when sum is 1).
template <class T>
double log_share(double count, double sum) {
    return static_cast<double>(fm::log(fm::num<T>(count) / fm::num<T>(sum)));
}

/// Reads a TargetValueCounts element: (category, count) pairs.
std::vector<std::pair<int, double>> read_counts(Compiler& c, CompiledModel& m, pugi::xml_node tvcs,
                                                bool add) {
    std::vector<std::pair<int, double>> out;
    for (auto tvc : Compiler::children(tvcs, "TargetValueCount")) {
        auto value = c.required(tvc, "value");
        int k = add ? m.intern_category(value) : m.find_category(value);
        if (k < 0)
            c.invalid(tvc, "target value '" + std::string(value) + "' is not among the BayesOutput counts");
        double count = c.required_number(tvc, "count");
        if (!(count >= 0)) c.invalid(tvc, "count must not be negative");
        out.emplace_back(k, count);
    }
    return out;
}

}  // namespace

std::unique_ptr<CompiledModel> compile_naive_bayes_model(ModelContext& mc) {
    auto m = std::make_unique<NaiveBayesModelImpl>();
    auto& c = mc.c;
    c.init_model(*m, mc);
    auto n = mc.node;
    if (!m->classification()) c.invalid(n, "a NaiveBayesModel needs functionName=\"classification\"");
    m->threshold = c.required_number(n, "threshold");
    if (!(m->threshold >= 0)) c.invalid(n, "threshold must not be negative");
    const bool fl = m->float_math;
    if (fl) m->threshold = static_cast<double>(static_cast<float>(m->threshold));
    m->log_threshold =
        fl ? static_cast<double>(fm::log(static_cast<float>(m->threshold))) : std::log(m->threshold);

    auto out = Compiler::child(n, "BayesOutput");
    if (!out) c.parse_fail(n, "NaiveBayesModel without a BayesOutput");
    auto out_field = c.attr(out, "fieldName");
    if (out_field.empty()) out_field = c.attr(out, "field");
    if (mc.target_name.empty()) mc.target_name = std::string(out_field);
    auto out_counts = Compiler::child(out, "TargetValueCounts");
    if (!out_counts) c.parse_fail(out, "BayesOutput without TargetValueCounts");
    auto priors = read_counts(c, *m, out_counts, true);
    if (priors.empty()) c.parse_fail(out_counts, "TargetValueCounts without a TargetValueCount");
    std::size_t nc = m->categories.size();
    m->nc = nc;
    m->log_prior.assign(nc, -HUGE_VAL);
    for (auto [k, count] : priors)
        m->log_prior[static_cast<std::size_t>(k)] =
            fl ? static_cast<double>(fm::log(static_cast<float>(count))) : std::log(count);

    auto ins = Compiler::child(n, "BayesInputs");
    if (!ins) c.parse_fail(n, "NaiveBayesModel without BayesInputs");
    std::vector<pugi::xml_node> nodes = Compiler::children(ins, "BayesInput");
    // Older R output wraps continuous inputs in an Extension of BayesInputs.
    for (auto ext : Compiler::children(ins, "Extension"))
        for (auto bi : Compiler::children(ext, "BayesInput")) nodes.push_back(bi);
    if (nodes.empty()) c.parse_fail(ins, "BayesInputs without a BayesInput");
    for (auto bi : nodes) {
        NaiveBayesModelImpl::Input in;
        auto field = c.attr(bi, "fieldName");
        if (field.empty()) field = c.attr(bi, "field");
        if (field.empty()) c.parse_fail(bi, "missing required attribute 'fieldName'");
        in.slot = c.resolve_slot(mc.scope, field, bi);
        if (auto stats = Compiler::child(bi, "TargetValueStats")) {
            in.continuous = true;
            in.stats.assign(nc, {});
            for (auto tvs : Compiler::children(stats, "TargetValueStat")) {
                auto value = c.required(tvs, "value");
                int k = m->find_category(value);
                if (k < 0)
                    c.invalid(
                        tvs, "target value '" + std::string(value) + "' is not among the BayesOutput counts");
                NaiveBayesModelImpl::Stat s;
                if (auto g = Compiler::child(tvs, "GaussianDistribution")) {
                    s.dist = NaiveBayesModelImpl::Dist::gaussian;
                    s.mean = c.required_number(g, "mean");
                    double var = c.required_number(g, "variance");
                    if (!(var > 0)) c.invalid(g, "variance must be positive");
                    if (fl)
                        gaussian_terms<float>(s, var);
                    else
                        gaussian_terms<double>(s, var);
                } else if (auto p = Compiler::child(tvs, "PoissonDistribution")) {
                    s.dist = NaiveBayesModelImpl::Dist::poisson;
                    s.mean = c.required_number(p, "mean");
                    if (!(s.mean > 0)) c.invalid(p, "mean must be positive");
                    if (fl) s.mean = static_cast<double>(static_cast<float>(s.mean));
                } else {
                    pugi::xml_node other;
                    for (auto k2 : tvs.children())
                        if (k2.type() == pugi::node_element && Compiler::name_of(k2) != "Extension")
                            other = k2;
                    if (other)
                        c.unsupported(other,
                                      "NaiveBayesModel inputs take Gaussian or Poisson distributions only");
                    c.parse_fail(tvs, "TargetValueStat without a distribution");
                }
                in.stats[static_cast<std::size_t>(k)] = s;
            }
            m->inputs.push_back(std::move(in));
            continue;
        }
        if (auto df = Compiler::child(bi, "DerivedField")) {
            ExprPtr e = c.expression_child(df, mc.scope, 1);
            in.derived = e.get();
            m->derived_exprs.push_back(std::move(e));
        }
        auto pcs = Compiler::children(bi, "PairCounts");
        if (pcs.empty()) c.parse_fail(bi, "BayesInput without PairCounts or TargetValueStats");
        std::vector<double> sums(nc, 0.0);
        std::vector<std::vector<std::pair<int, double>>> rows;
        for (auto pc : pcs) {
            std::string value(c.required(pc, "value"));
            auto tvcs = Compiler::child(pc, "TargetValueCounts");
            if (!tvcs) c.parse_fail(pc, "PairCounts without TargetValueCounts");
            rows.push_back(read_counts(c, *m, tvcs, false));
            for (auto [k, count] : rows.back())
                sums[static_cast<std::size_t>(k)] =
                    fl ? static_cast<double>(static_cast<float>(sums[static_cast<std::size_t>(k)]) +
                                             static_cast<float>(count))
                       : sums[static_cast<std::size_t>(k)] + count;
            double x = 0;
            bool num = c.slot_type(in.slot) != DataType::string && parse_double(value, x);
            in.values.push_back(value);
            in.nums.push_back(num ? x : 0.0);
            in.has_num.push_back(num ? 1 : 0);
        }
        in.logp.assign(rows.size() * nc, m->log_threshold);
        for (std::size_t i = 0; i < rows.size(); ++i)
            for (auto [k, count] : rows[i])
                if (count != 0)
                    in.logp[i * nc + static_cast<std::size_t>(k)] =
                        fl ? log_share<float>(count, sums[static_cast<std::size_t>(k)])
                           : log_share<double>(count, sums[static_cast<std::size_t>(k)]);
        if (!in.derived)
            if (Symbols* sym = c.symbols(in.slot)) {
                for (std::size_t i = 0; i < in.values.size(); ++i) {
                    auto at = static_cast<std::size_t>(sym->intern(in.values[i]));
                    if (in.by_symbol.size() <= at) in.by_symbol.resize(at + 1, -1);
                    if (in.by_symbol[at] < 0) in.by_symbol[at] = static_cast<int>(i);
                }
            }
        m->inputs.push_back(std::move(in));
    }
    if (m->categories.size() != nc) c.invalid(n, "target values differ between BayesOutput and BayesInputs");
    return m;
}

}  // namespace scorestream::pmml::detail
