// GeneralRegressionModel: regression, generalLinear, generalizedLinear (every link function of the
// spec, offset and trials), multinomialLogistic, ordinalMultinomial and CoxRegression.
//
// Parameter values come from the PPMatrix (covariates raised to the cell's exponent, factors as
// indicators, products for interactions; a parameter without cells is the intercept, 1). The
// linear predictor of each target category sums beta * x in ParamMatrix order: the order of the
// producers' own sums, which keeps results exact at the corpus tolerances.

#include "compiler.hpp"
#include "float_math.hpp"
#include "link.hpp"

#include <algorithm>
#include <type_traits>
#include <unordered_map>

namespace scorestream::pmml::detail {
namespace {

enum class GrType : std::uint8_t {
    regression,
    general_linear,
    generalized_linear,
    multinomial,
    ordinal,
    cox
};
enum class Link : std::uint8_t {
    identity,
    log,
    logit,
    probit,
    cloglog,
    loglog,
    cauchit,
    logc,
    negbin,
    oddspower,
    power
};

class GeneralRegressionImpl final : public FloatOrDouble<GeneralRegressionImpl> {
public:
    struct Term {
        int slot;
        bool factor;
        double exponent;
        std::string text;
        double num;
        bool has_num;
    };
    struct Param {
        std::vector<Term> terms;
        double reference = 0.0;
    };
    struct Cell {
        int param;
        double beta;
    };
    struct Row {
        int category = -1;  ///< -1 for the single row of regression models
        std::vector<Cell> cells;
    };
    struct Stratum {
        std::string text;
        double num = 0;
        bool has_num = false;
        double max_time = HUGE_VAL;
        std::vector<double> times, hazards;  ///< sorted by time
    };

    GrType type = GrType::regression;
    Link link = Link::identity;
    double link_parameter = 1.0, dist_parameter = 1.0;
    std::vector<Param> params;
    std::vector<Row> rows;
    int work = -1;
    int offset_slot = -1, trials_slot = -1;
    double offset_value = 0.0, trials_value = 1.0;
    bool has_offset_value = false, has_trials_value = false;
    int event = -1;  ///< binomial GLM: the category whose probability is the inverse link
    // Cox
    int end_time_slot = -1, strata_slot = -1;
    std::vector<Stratum> strata;
    double reference_sum = 0.0;
    double reference_sum_float = 0.0;  ///< the same sum in float arithmetic (x-mathContext="float")

    /// The inverse link in T (see float_math.hpp).
    template <class T>
    T inverse_link(T eta) const {
        const T one = 1;
        switch (link) {
            case Link::identity:
                return eta;
            case Link::log:
                return fm::exp(eta);
            case Link::logit:
                return one / (one + fm::exp(-eta));
            case Link::probit:
                return static_cast<T>(normal_cdf(static_cast<double>(eta)));
            case Link::cloglog:
                return one - fm::exp(-fm::exp(eta));
            case Link::loglog:
                return fm::exp(-fm::exp(-eta));
            case Link::cauchit:
                return fm::num<T>(0.5) + fm::atan(eta) / fm::num<T>(M_PI);
            case Link::logc:
                return one - fm::exp(eta);
            case Link::negbin:
                return one / (fm::num<T>(dist_parameter) * (fm::exp(-eta) - one));
            case Link::oddspower: {
                if (link_parameter == 0) return one / (one + fm::exp(-eta));
                T lp = fm::num<T>(link_parameter);
                return one / (one + fm::pow(one + lp * eta, -one / lp));
            }
            case Link::power:
                if (link_parameter == 0) return fm::exp(eta);
                return fm::pow(eta, one / fm::num<T>(link_parameter));
        }
        return eta;
    }

    /// Fills x (one value per parameter, each a T value); false when an input is missing.
    template <class T>
    bool parameter_values(Ctx& ctx, double* x) const {
        for (std::size_t j = 0; j < params.size(); ++j) {
            T v = 1;
            for (const auto& t : params[j].terms) {
                const Value& in = ctx.get(t.slot);
                if (in.is_missing()) return false;
                if (t.factor) {
                    bool match = in.is_number() && t.has_num ? in.as_number() == t.num : in.text() == t.text;
                    if (!match) {
                        v = 0;
                        break;
                    }
                } else {
                    double a;
                    if (!as_double(in, a)) fail("covariate '" + std::string(in.text()) + "' is not a number");
                    T at = fm::num<T>(a);
                    v *= t.exponent == 1.0 ? at : fm::pow(at, fm::num<T>(t.exponent));
                }
            }
            x[j] = static_cast<double>(v);
        }
        return true;
    }

    template <class T>
    T dot(const Row& row, const double* x) const {
        T s = 0;
        for (const auto& c : row.cells) s += fm::num<T>(c.beta) * fm::num<T>(x[c.param]);
        return s;
    }

    /// sum beta * referencePoint of the Cox model, in T.
    template <class T>
    T reference() const {
        T s = 0;
        for (const auto& cell : rows[0].cells)
            s += fm::num<T>(cell.beta) * fm::num<T>(params[static_cast<std::size_t>(cell.param)].reference);
        return s;
    }

    std::size_t memory_bytes() const override {
        std::size_t n = own_bytes(*this) + params.capacity() * sizeof(Param) + rows.capacity() * sizeof(Row);
        for (const auto& p : params) n += p.terms.capacity() * sizeof(Term);
        for (const auto& r : rows) n += r.cells.capacity() * sizeof(Cell);
        for (const auto& s : strata)
            n += sizeof(s) + (s.times.capacity() + s.hazards.capacity()) * sizeof(double);
        return n;
    }

    void finalize(Layout& layout) override {
        work = layout.add_work(static_cast<int>(params.size() + categories.size()) + 1);
    }

protected:
    friend class FloatOrDouble<GeneralRegressionImpl>;

private:
    /// The model in T: double, or float for x-mathContext="float".
    template <class T>
    void evaluate_as(Ctx& ctx, ModelResult& r) const {
        const T one = 1;
        double* x = ctx.work(work);
        if (!parameter_values<T>(ctx, x)) return;
        switch (type) {
            case GrType::regression:
            case GrType::general_linear:
            case GrType::generalized_linear: {
                T eta = dot<T>(rows[0], x);
                double offset = offset_value, trials = trials_value;
                if (offset_slot >= 0) {
                    const Value& v = ctx.get(offset_slot);
                    if (v.is_missing() || !as_double(v, offset)) return;
                }
                if (trials_slot >= 0) {
                    const Value& v = ctx.get(trials_slot);
                    if (v.is_missing() || !as_double(v, trials)) return;
                }
                if (offset_slot >= 0 || has_offset_value) eta += fm::num<T>(offset);
                if (type != GrType::generalized_linear) {
                    if (!classification()) {
                        r.value = Value::number(static_cast<double>(eta));
                        return;
                    }
                }
                T mu = type == GrType::generalized_linear ? inverse_link(eta) : eta;
                if (!classification()) {
                    if (trials_slot >= 0 || has_trials_value) mu *= fm::num<T>(trials);
                    r.value = Value::number(static_cast<double>(mu));
                    return;
                }
                // binomial: the event category gets mu, the other(s) share the rest
                std::size_t nc = categories.size();
                for (std::size_t i = 0; i < nc; ++i) r.probs[i] = 0.0;
                r.probs[static_cast<std::size_t>(event)] = static_cast<double>(mu);
                for (std::size_t i = 0; i < nc; ++i)
                    if (static_cast<int>(i) != event) {
                        r.probs[i] = static_cast<double>(one - mu);
                        break;
                    }
                r.has_probs = true;
                pick_best(r);
                return;
            }
            case GrType::multinomial: {
                // reference category (no cells): eta = 0
                std::size_t nc = categories.size();
                double* eta = x + params.size();
                for (std::size_t i = 0; i < nc; ++i) eta[i] = 0.0;
                for (const auto& row : rows) eta[row.category] = static_cast<double>(dot<T>(row, x));
                T sum = 0;
                for (std::size_t i = 0; i < nc; ++i) {
                    T e = fm::exp(fm::num<T>(eta[i]));
                    eta[i] = static_cast<double>(e);
                    sum += e;
                }
                for (std::size_t i = 0; i < nc; ++i)
                    r.probs[i] = static_cast<double>(fm::num<T>(eta[i]) / sum);
                r.has_probs = true;
                pick_best(r);
                return;
            }
            case GrType::ordinal: {
                std::size_t nc = categories.size();
                T prev = 0;
                for (std::size_t i = 0; i + 1 < nc; ++i) {
                    const Row* row = nullptr;
                    for (const auto& rw : rows)
                        if (rw.category == static_cast<int>(i)) row = &rw;
                    T cum = row ? inverse_link(dot<T>(*row, x)) : one;
                    r.probs[i] = static_cast<double>(cum - prev);
                    prev = cum;
                }
                r.probs[nc - 1] = static_cast<double>(one - prev);
                r.has_probs = true;
                pick_best(r);
                return;
            }
            case GrType::cox: {
                const Stratum* st = &strata[0];
                if (strata_slot >= 0) {
                    const Value& v = ctx.get(strata_slot);
                    if (v.is_missing()) return;
                    st = nullptr;
                    for (const auto& s : strata) {
                        bool match = v.is_number() && s.has_num ? v.as_number() == s.num : v.text() == s.text;
                        if (match) {
                            st = &s;
                            break;
                        }
                    }
                    if (!st) return;
                }
                double t;
                const Value& tv = ctx.get(end_time_slot);
                if (tv.is_missing() || !as_double(tv, t)) return;
                if (t > st->max_time) return;
                auto it = std::upper_bound(st->times.begin(), st->times.end(), t);
                double h0 = it == st->times.begin()
                                ? 0.0
                                : st->hazards[static_cast<std::size_t>(it - st->times.begin()) - 1];
                T eta = dot<T>(rows[0], x);
                T ref = fm::num<T>(std::is_same<T, float>::value ? reference_sum_float : reference_sum);
                r.value = Value::number(static_cast<double>(fm::num<T>(h0) * fm::exp(eta - ref)));
                return;
            }
        }
    }
};

Link parse_link(Compiler& c, pugi::xml_node n) {
    auto l = c.attr(n, "linkFunction");
    if (l == "identity") return Link::identity;
    if (l == "log") return Link::log;
    if (l == "logit") return Link::logit;
    if (l == "probit") return Link::probit;
    if (l == "cloglog") return Link::cloglog;
    if (l == "loglog") return Link::loglog;
    if (l == "cauchit") return Link::cauchit;
    if (l == "logc") return Link::logc;
    if (l == "negbin") return Link::negbin;
    if (l == "oddspower") return Link::oddspower;
    if (l == "power") return Link::power;
    if (l.empty()) c.parse_fail(n, "generalizedLinear/ordinalMultinomial model without linkFunction");
    c.invalid(n, "unknown linkFunction '" + std::string(l) + "'");
}

}  // namespace

std::unique_ptr<CompiledModel> compile_general_regression_model(ModelContext& mc) {
    auto m = std::make_unique<GeneralRegressionImpl>();
    auto& c = mc.c;
    c.init_model(*m, mc);
    auto n = mc.node;
    if (mc.target_name.empty() && c.has_attr(n, "targetVariableName"))
        mc.target_name = std::string(c.attr(n, "targetVariableName"));
    auto mt = c.required(n, "modelType");
    if (mt == "regression")
        m->type = GrType::regression;
    else if (mt == "generalLinear")
        m->type = GrType::general_linear;
    else if (mt == "generalizedLinear")
        m->type = GrType::generalized_linear;
    else if (mt == "multinomialLogistic")
        m->type = GrType::multinomial;
    else if (mt == "ordinalMultinomial")
        m->type = GrType::ordinal;
    else if (mt == "CoxRegression")
        m->type = GrType::cox;
    else
        c.invalid(n, "unknown modelType '" + std::string(mt) + "'");
    if (m->type == GrType::generalized_linear || m->type == GrType::ordinal) {
        m->link =
            m->type == GrType::ordinal && !c.has_attr(n, "linkFunction") ? Link::logit : parse_link(c, n);
        m->link_parameter = c.number(n, "linkParameter", 1.0);
        m->dist_parameter = c.number(n, "distParameter", 1.0);
        if ((m->link == Link::power || m->link == Link::oddspower) && !c.has_attr(n, "linkParameter"))
            c.invalid(n, "linkFunction '" + std::string(c.attr(n, "linkFunction")) + "' needs linkParameter");
    }
    if (m->classification() &&
        (m->type == GrType::regression || m->type == GrType::general_linear || m->type == GrType::cox))
        c.invalid(n, "modelType '" + std::string(mt) + "' cannot be a classification");
    if (!m->classification() && (m->type == GrType::multinomial || m->type == GrType::ordinal))
        c.invalid(n, "modelType '" + std::string(mt) + "' needs functionName=\"classification\"");

    // Parameters
    std::unordered_map<std::string, int> param_index;
    auto plist = Compiler::child(n, "ParameterList");
    if (plist)
        for (auto p : Compiler::children(plist, "Parameter")) {
            std::string name(c.required(p, "name"));
            if (param_index.count(name)) c.invalid(p, "parameter '" + name + "' is defined twice");
            param_index[name] = static_cast<int>(m->params.size());
            GeneralRegressionImpl::Param param;
            param.reference = c.number(p, "referencePoint", 0.0);
            m->params.push_back(std::move(param));
        }
    std::unordered_map<std::string, bool> is_factor;
    if (auto fl = Compiler::child(n, "FactorList"))
        for (auto p : Compiler::children(fl, "Predictor")) {
            if (Compiler::child(p, "Categories") || Compiler::child(p, "Matrix"))
                c.unsupported(p, "factor contrast matrices are not supported");
            is_factor[std::string(c.required(p, "name"))] = true;
        }
    if (auto cl = Compiler::child(n, "CovariateList"))
        for (auto p : Compiler::children(cl, "Predictor"))
            is_factor[std::string(c.required(p, "name"))] = false;
    if (auto pp = Compiler::child(n, "PPMatrix"))
        for (auto cell : Compiler::children(pp, "PPCell")) {
            std::string pname(c.required(cell, "parameterName"));
            auto it = param_index.find(pname);
            if (it == param_index.end()) c.invalid(cell, "PPCell names undefined parameter '" + pname + "'");
            std::string pred(c.required(cell, "predictorName"));
            auto f = is_factor.find(pred);
            if (f == is_factor.end())
                c.invalid(cell, "predictor '" + pred + "' is in neither FactorList nor CovariateList");
            GeneralRegressionImpl::Term t;
            t.slot = c.resolve_slot(mc.scope, pred, cell);
            t.factor = f->second;
            t.text = std::string(c.required(cell, "value"));
            t.has_num = c.slot_type(t.slot) != DataType::string && parse_double(t.text, t.num);
            if (!t.has_num) t.num = 0;
            t.exponent = 1.0;
            if (!t.factor) {
                if (!t.has_num) c.invalid(cell, "covariate exponent '" + t.text + "' is not a number");
                t.exponent = t.num;
            }
            m->params[static_cast<std::size_t>(it->second)].terms.push_back(std::move(t));
        }
    // Coefficients, grouped by target category in order of first appearance
    auto pm = Compiler::child(n, "ParamMatrix");
    if (!pm) c.parse_fail(n, "GeneralRegressionModel without a ParamMatrix");
    std::unordered_map<std::string, std::size_t> row_of;
    for (auto cell : Compiler::children(pm, "PCell")) {
        std::string pname(c.required(cell, "parameterName"));
        auto it = param_index.find(pname);
        if (it == param_index.end()) c.invalid(cell, "PCell names undefined parameter '" + pname + "'");
        std::string cat(c.attr(cell, "targetCategory"));
        auto r = row_of.find(cat);
        if (r == row_of.end()) {
            GeneralRegressionImpl::Row row;
            if (m->classification() && !cat.empty()) row.category = m->intern_category(cat);
            r = row_of.emplace(cat, m->rows.size()).first;
            m->rows.push_back(std::move(row));
        }
        m->rows[r->second].cells.push_back({it->second, c.required_number(cell, "beta")});
    }
    if (m->rows.empty()) m->rows.emplace_back();
    if (!m->classification() && m->rows.size() != 1)
        c.invalid(pm, "a regression model needs one set of coefficients");

    if (m->classification()) {
        auto ref = c.attr(n, "targetReferenceCategory");
        if (!ref.empty()) m->intern_category(ref);
        if (m->type == GrType::generalized_linear) {
            if (m->categories.size() != 2 && m->categories.size() != 1)
                c.unsupported(n, "a generalizedLinear classification needs a binary target");
            if (m->rows[0].category >= 0) {
                m->event = m->rows[0].category;
            } else if (!ref.empty()) {
                int rc = m->find_category(ref);
                m->event = rc == 0 ? 1 : 0;
            } else {
                m->event = 0;
            }
            if (m->categories.size() < 2) c.invalid(n, "a binary classification needs two target categories");
        } else if (m->type == GrType::multinomial) {
            for (const auto& row : m->rows)
                if (row.category < 0) c.invalid(pm, "multinomialLogistic PCells need targetCategory");
        }
    }
    if (c.has_attr(n, "offsetVariable"))
        m->offset_slot = c.resolve_slot(mc.scope, c.attr(n, "offsetVariable"), n);
    if (c.has_attr(n, "offsetValue")) {
        m->has_offset_value = true;
        m->offset_value = c.number(n, "offsetValue", 0.0);
    }
    if (c.has_attr(n, "trialsVariable"))
        m->trials_slot = c.resolve_slot(mc.scope, c.attr(n, "trialsVariable"), n);
    if (c.has_attr(n, "trialsValue")) {
        m->has_trials_value = true;
        m->trials_value = c.number(n, "trialsValue", 1.0);
    }
    if (m->type == GrType::cox) {
        m->end_time_slot = c.resolve_slot(mc.scope, c.required(n, "endTimeVariable"), n);
        if (c.has_attr(n, "baselineStrataVariable"))
            m->strata_slot = c.resolve_slot(mc.scope, c.attr(n, "baselineStrataVariable"), n);
        m->reference_sum = m->reference<double>();
        m->reference_sum_float = static_cast<double>(m->reference<float>());
        auto tables = Compiler::child(n, "BaseCumHazardTables");
        if (!tables) c.parse_fail(n, "CoxRegression without BaseCumHazardTables");
        auto read_cells = [&](pugi::xml_node parent, GeneralRegressionImpl::Stratum& s) {
            std::vector<std::pair<double, double>> cells;
            for (auto bc : Compiler::children(parent, "BaselineCell"))
                cells.emplace_back(c.required_number(bc, "time"), c.required_number(bc, "cumHazard"));
            std::stable_sort(cells.begin(), cells.end(), [](auto& a, auto& b) { return a.first < b.first; });
            for (auto& [t, h] : cells) {
                s.times.push_back(t);
                s.hazards.push_back(h);
            }
        };
        if (m->strata_slot >= 0) {
            for (auto bs : Compiler::children(tables, "BaselineStratum")) {
                GeneralRegressionImpl::Stratum s;
                s.text = std::string(c.required(bs, "value"));
                s.has_num = c.slot_type(m->strata_slot) != DataType::string && parse_double(s.text, s.num);
                s.max_time = c.required_number(bs, "maxTime");
                read_cells(bs, s);
                m->strata.push_back(std::move(s));
            }
        } else {
            GeneralRegressionImpl::Stratum s;
            s.max_time = c.number(tables, "maxTime", HUGE_VAL);
            read_cells(tables, s);
            m->strata.push_back(std::move(s));
        }
        if (m->strata.empty()) c.parse_fail(tables, "BaseCumHazardTables without strata");
    }
    return m;
}

}  // namespace scorestream::pmml::detail
