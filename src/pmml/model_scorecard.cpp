// Scorecard: Characteristics whose first matching Attribute adds its partialScore (a number or a
// ComplexPartialScore expression) to initialScore, and reason codes ranked by the points each
// characteristic lies below (pointsBelow) or above (pointsAbove) its baselineScore.

#include "float_math.hpp"
#include "predicate.hpp"

namespace scorestream::pmml::detail {
namespace {

class ScorecardImpl final : public FloatOrDouble<ScorecardImpl> {
public:
    struct Attribute {
        int pred;
        double score;
        const Expr* complex = nullptr;  ///< ComplexPartialScore, when present
        int reason = -1;
    };
    struct Characteristic {
        std::string name;
        int first = 0, count = 0;
        double baseline = nan_v;
        int reason = -1;
    };

    Predicates preds;
    std::vector<Attribute> attributes;
    std::vector<Characteristic> characteristics;
    std::vector<std::string> reasons;  ///< reason codes in order of first appearance
    std::vector<ExprPtr> exprs;
    double initial = 0.0;
    bool use_reasons = true;
    bool points_above = false;
    std::string baseline_method = "other";
    int work = -1;  ///< per reason code: points, then (from reasons.size()) how many characteristics gave it

    int intern_reason(std::string_view code) {
        for (std::size_t i = 0; i < reasons.size(); ++i)
            if (reasons[i] == code) return static_cast<int>(i);
        reasons.emplace_back(code);
        return static_cast<int>(reasons.size()) - 1;
    }

    void finalize(Layout& layout) override {
        if (use_reasons) work = layout.add_work(2 * static_cast<int>(reasons.size()));
    }

    bool parse_output(Compiler& c, const pugi::xml_node& of, OutputDef& d) override {
        if (c.attr(of, "feature") != "reasonCode") return false;
        if (!use_reasons) c.invalid(of, "reasonCode output of a Scorecard with useReasonCodes=\"false\"");
        long rank = c.integer(of, "rank", 1);
        if (rank < 1) c.invalid(of, "rank must be at least 1");
        d.rank = static_cast<int>(std::min<long>(rank, 1 << 30));
        d.feature_name = "reasonCode";
        return true;
    }

    Value family_output(Ctx& ctx, const OutputDef& d, const ModelResult& r) const override {
        if (r.value.is_missing()) return Value::missing();
        const double* points = ctx.work(work);
        const double* used = points + reasons.size();
        // The rank-th reason code by points, highest first; equal points keep the order in which
        // the codes first appear in the document; codes with negative points are not reported.
        // Walks the order without sorting.
        int prev = -1;
        for (int step = 0; step < d.rank; ++step) {
            int best = -1;
            for (std::size_t i = 0; i < reasons.size(); ++i) {
                if (used[i] == 0.0 || points[i] < 0.0) continue;  // negative points explain nothing
                int k = static_cast<int>(i);
                if (prev >= 0) {
                    double p = points[prev];
                    bool after = points[i] < p || (points[i] == p && k > prev);
                    if (!after) continue;
                }
                if (best < 0 || points[i] > points[best]) best = k;
            }
            if (best < 0) return Value::missing();
            prev = best;
        }
        return Value::string(reasons[static_cast<std::size_t>(prev)]);
    }

    std::string summary() const override {
        return std::to_string(characteristics.size()) + " characteristics, " +
               std::to_string(attributes.size()) + " attributes, " +
               (use_reasons ? std::to_string(reasons.size()) + " reason codes (" +
                                  (points_above ? "pointsAbove" : "pointsBelow") + ", baselineMethod " +
                                  baseline_method + ")"
                            : std::string("no reason codes"));
    }

    std::size_t memory_bytes() const override {
        std::size_t n = own_bytes(*this) + preds.memory_bytes() + attributes.capacity() * sizeof(Attribute) +
                        characteristics.capacity() * sizeof(Characteristic) +
                        reasons.capacity() * sizeof(std::string);
        for (const auto& s : reasons) n += heap_bytes(s);
        return n;
    }

protected:
    friend class FloatOrDouble<ScorecardImpl>;

private:
    /// The score in T: double, or float for x-mathContext="float" (initialScore, partial scores,
    /// baselines, the sum and the reason code points in float).
    template <class T>
    void evaluate_as(Ctx& ctx, ModelResult& r) const {
        double* points = use_reasons ? ctx.work(work) : nullptr;
        if (points) std::fill(points, points + 2 * reasons.size(), 0.0);
        T total = fm::num<T>(initial);
        for (const auto& ch : characteristics) {
            const Attribute* hit = nullptr;
            for (int i = 0; i < ch.count && !hit; ++i) {
                const Attribute& a = attributes[static_cast<std::size_t>(ch.first + i)];
                if (preds.eval(ctx, a.pred) == Truth::yes) hit = &a;
            }
            if (!hit) fail("no Attribute of Characteristic '" + ch.name + "' matches the record");
            double partial_in = hit->score;
            if (hit->complex) {
                Value v = hit->complex->eval(ctx);
                if (!as_double(v, partial_in))
                    fail("the ComplexPartialScore of Characteristic '" + ch.name + "' gave no number");
            }
            T partial = fm::num<T>(partial_in);
            total += partial;
            if (!points) continue;
            int code = hit->reason >= 0 ? hit->reason : ch.reason;
            T baseline = fm::num<T>(ch.baseline);
            points[code] = static_cast<double>(fm::num<T>(points[code]) +
                                               (points_above ? partial - baseline : baseline - partial));
            points[reasons.size() + static_cast<std::size_t>(code)] = 1.0;
        }
        r.value = Value::number(static_cast<double>(total));
    }
};

}  // namespace

std::unique_ptr<CompiledModel> compile_scorecard(ModelContext& mc) {
    auto m = std::make_unique<ScorecardImpl>();
    auto& c = mc.c;
    c.init_model(*m, mc);
    auto n = mc.node;
    if (m->classification()) c.unsupported(n, "a Scorecard must have functionName=\"regression\"");
    m->initial = c.number(n, "initialScore", 0.0);
    auto use = c.attr(n, "useReasonCodes");
    if (!use.empty() && use != "true" && use != "false" && use != "1" && use != "0")
        c.invalid(n, "useReasonCodes must be true or false");
    m->use_reasons = use != "false" && use != "0";
    auto alg = c.attr(n, "reasonCodeAlgorithm");
    if (!alg.empty() && alg != "pointsBelow" && alg != "pointsAbove")
        c.invalid(n, "unknown reasonCodeAlgorithm '" + std::string(alg) + "'");
    m->points_above = alg == "pointsAbove";
    auto method = c.attr(n, "baselineMethod");
    if (!method.empty()) {
        if (method != "max" && method != "min" && method != "mean" && method != "neutral" &&
            method != "other")
            c.invalid(n, "unknown baselineMethod '" + std::string(method) + "'");
        m->baseline_method = std::string(method);
    }
    double model_baseline = c.number(n, "baselineScore", nan_v);
    auto chars = Compiler::child(n, "Characteristics");
    if (!chars) c.parse_fail(n, "Scorecard without Characteristics");
    for (auto ch : Compiler::children(chars, "Characteristic")) {
        ScorecardImpl::Characteristic out;
        out.name = std::string(c.attr(ch, "name"));
        if (out.name.empty()) out.name = "#" + std::to_string(m->characteristics.size() + 1);
        out.baseline = c.number(ch, "baselineScore", model_baseline);
        if (c.has_attr(ch, "reasonCode")) out.reason = m->intern_reason(c.attr(ch, "reasonCode"));
        out.first = static_cast<int>(m->attributes.size());
        for (auto at : Compiler::children(ch, "Attribute")) {
            pugi::xml_node pred_node, complex;
            for (auto k : at.children()) {
                if (k.type() != pugi::node_element) continue;
                auto kn = Compiler::name_of(k);
                if (kn == "ComplexPartialScore")
                    complex = k;
                else if (kn != "Extension" && !pred_node)
                    pred_node = k;
            }
            if (!pred_node) c.parse_fail(at, "Attribute without a predicate");
            ScorecardImpl::Attribute a;
            a.pred = m->preds.compile(c, pred_node, mc.scope, mc.depth + 2);
            if (complex) {
                m->exprs.push_back(c.expression_child(complex, mc.scope, mc.depth + 2));
                a.complex = m->exprs.back().get();
                a.score = 0.0;
            } else {
                if (!c.has_attr(at, "partialScore"))
                    c.parse_fail(at, "Attribute without partialScore or ComplexPartialScore");
                a.score = c.number(at, "partialScore", 0.0);
            }
            if (c.has_attr(at, "reasonCode")) a.reason = m->intern_reason(c.attr(at, "reasonCode"));
            if (m->use_reasons) {
                if (a.reason < 0 && out.reason < 0)
                    c.invalid(at, "useReasonCodes needs a reasonCode on the Attribute or its Characteristic");
                if (std::isnan(out.baseline))
                    c.invalid(ch,
                              "useReasonCodes needs a baselineScore on the Characteristic or the Scorecard");
            }
            m->attributes.push_back(a);
        }
        out.count = static_cast<int>(m->attributes.size()) - out.first;
        if (out.count == 0) c.parse_fail(ch, "Characteristic without Attributes");
        m->characteristics.push_back(std::move(out));
    }
    if (m->characteristics.empty()) c.parse_fail(chars, "Characteristics without a Characteristic");
    return m;
}

}  // namespace scorestream::pmml::detail
