// RuleSetModel: SimpleRule and CompoundRule compiled into one pre-order array (a CompoundRule
// whose predicate fails skips its whole subtree), the selection criteria firstHit, weightedSum and
// weightedMax, defaultScore/defaultConfidence, ScoreDistribution, and the rule outputs.

#include "float_math.hpp"
#include "predicate.hpp"

#include <algorithm>

namespace scorestream::pmml::detail {
namespace {

class RuleSetModelImpl final : public FloatOrDouble<RuleSetModelImpl> {
public:
    enum class Criterion : std::uint8_t { first_hit, weighted_sum, weighted_max };
    /// One rule in document pre-order. `end` is the entry after its subtree (itself + 1 for a
    /// SimpleRule); `rule` indexes `rules` for a SimpleRule and is -1 for a CompoundRule.
    struct Entry {
        int pred;
        int end;
        int rule;
    };
    struct Dist {
        int category;
        double count;
        double probability;  ///< NaN when the document gives none
        double confidence;   ///< NaN when the document gives none
    };
    struct Rule {
        std::string id;
        int category = -1;
        double confidence = 1.0;
        double weight = 1.0;
        int dist_first = 0, dist_count = 0;
    };

    Predicates preds;
    std::vector<Entry> entries;
    std::vector<Rule> rules;
    std::vector<Dist> dists;
    Criterion criterion = Criterion::first_hit;
    Rule fallback;  ///< defaultScore (category -1 when none), defaultConfidence, RuleSet ScoreDistribution
    int work = -1;  ///< weightedSum: total weight per category

    void read_dists(Compiler& c, pugi::xml_node parent, Rule& rule) {
        rule.dist_first = static_cast<int>(dists.size());
        for (auto sd : Compiler::children(parent, "ScoreDistribution")) {
            Dist d;
            d.category = intern_category(c.required(sd, "value"));
            d.count = c.required_number(sd, "recordCount");
            d.probability = c.number(sd, "probability", nan_v);
            d.confidence = c.number(sd, "confidence", nan_v);
            if (d.probability < 0 || d.probability > 1) c.invalid(sd, "probability must lie between 0 and 1");
            dists.push_back(d);
        }
        rule.dist_count = static_cast<int>(dists.size()) - rule.dist_first;
    }

    void compile_rules(ModelContext& mc, pugi::xml_node parent, int depth) {
        auto& c = mc.c;
        if (depth > c.limits.max_depth)
            c.invalid(parent, "rules nested deeper than " + std::to_string(c.limits.max_depth));
        for (auto k : parent.children()) {
            if (k.type() != pugi::node_element) continue;
            auto kn = Compiler::name_of(k);
            if (kn != "SimpleRule" && kn != "CompoundRule") continue;
            pugi::xml_node pred_node;
            for (auto p : k.children()) {
                if (p.type() != pugi::node_element) continue;
                auto pn = Compiler::name_of(p);
                if (pn == "SimplePredicate" || pn == "CompoundPredicate" || pn == "SimpleSetPredicate" ||
                    pn == "True" || pn == "False") {
                    pred_node = p;
                    break;
                }
            }
            if (!pred_node) c.parse_fail(k, "<" + std::string(kn) + "> without a predicate");
            Entry e;
            e.pred = preds.compile(c, pred_node, mc.scope, depth + 1);
            auto at = entries.size();
            if (kn == "SimpleRule") {
                Rule rule;
                rule.id = std::string(c.attr(k, "id"));
                rule.category = intern_category(c.required(k, "score"));
                rule.confidence = c.number(k, "confidence", 1.0);
                rule.weight = c.number(k, "weight", 1.0);
                read_dists(c, k, rule);
                e.rule = static_cast<int>(rules.size());
                rules.push_back(std::move(rule));
                entries.push_back(e);
            } else {
                e.rule = -1;
                entries.push_back(e);
                compile_rules(mc, k, depth + 1);
            }
            entries[at].end = static_cast<int>(entries.size());
        }
    }

    void finalize(Layout& layout) override {
        if (criterion == Criterion::weighted_sum) work = layout.add_work(static_cast<int>(categories.size()));
    }

    bool parse_output(Compiler& c, const pugi::xml_node& of, OutputDef& d) override {
        if (c.attr(of, "feature") != "ruleValue") return false;
        auto f = c.attr(of, "ruleFeature");
        if (f.empty() || f == "consequent")
            d.param = 0;
        else if (f == "ruleId")
            d.param = 1;
        else if (f == "confidence")
            d.param = 2;
        else
            c.unsupported(of, "ruleFeature '" + std::string(f) + "' is not defined for <RuleSetModel>");
        if (c.integer(of, "rank", 1) != 1)
            c.unsupported(of, "ruleValue of a RuleSetModel supports rank 1 only");
        d.feature_name = "ruleValue";
        return true;
    }

    Value family_output(Ctx& /*ctx*/, const OutputDef& d, const ModelResult& r) const override {
        switch (d.param) {
            case 0:
                return r.value;
            case 1:
                return r.entity_id.empty() ? Value::missing() : Value::string(r.entity_id);
            default:
                return std::isnan(r.confidence) ? Value::missing() : Value::number(r.confidence);
        }
    }

    std::string summary() const override {
        static const char* names[] = {"firstHit", "weightedSum", "weightedMax"};
        return std::to_string(rules.size()) + " rules (" + std::to_string(entries.size() - rules.size()) +
               " compound), criterion " + names[static_cast<int>(criterion)];
    }

    std::size_t memory_bytes() const override {
        std::size_t n = own_bytes(*this) + preds.memory_bytes() + entries.capacity() * sizeof(Entry) +
                        rules.capacity() * sizeof(Rule) + dists.capacity() * sizeof(Dist);
        for (const auto& r : rules) n += heap_bytes(r.id);
        return n;
    }

protected:
    void select(const Rule& rule, ModelResult& r) const {
        if (rule.category < 0) return;
        r.category = rule.category;
        r.value = category_value(rule.category);
        r.confidence = rule.confidence;
        r.entity_id = rule.id;
        if (rule.dist_count == 0) return;
        double total = 0.0;
        bool given = true;
        for (int i = 0; i < rule.dist_count; ++i) {
            const Dist& d = dists[static_cast<std::size_t>(rule.dist_first + i)];
            total += d.count;
            given = given && !std::isnan(d.probability);
            if (!std::isnan(d.confidence)) {
                r.confidences[static_cast<std::size_t>(d.category)] = d.confidence;
                r.has_confidences = true;
            }
        }
        for (int i = 0; i < rule.dist_count; ++i) {
            const Dist& d = dists[static_cast<std::size_t>(rule.dist_first + i)];
            r.probs[static_cast<std::size_t>(d.category)] =
                given ? d.probability : (total > 0 ? d.count / total : 0.0);
        }
        r.has_probs = given || total > 0;
        if (r.has_confidences) r.confidence = rule.confidence;
    }

    friend class FloatOrDouble<RuleSetModelImpl>;

    /// The rules in T: double, or float for x-mathContext="float" (the weightedSum totals and their
    /// division; the document's numbers were rounded to float at load).
    template <class T>
    void evaluate_as(Ctx& ctx, ModelResult& r) const {
        const int n = static_cast<int>(entries.size());
        if (criterion == Criterion::first_hit) {
            for (int i = 0; i < n;) {
                const Entry& e = entries[static_cast<std::size_t>(i)];
                if (preds.eval(ctx, e.pred) != Truth::yes) {
                    i = e.end;
                    continue;
                }
                if (e.rule >= 0) {
                    select(rules[static_cast<std::size_t>(e.rule)], r);
                    return;
                }
                ++i;
            }
            select(fallback, r);
            return;
        }
        double* totals = criterion == Criterion::weighted_sum ? ctx.work(work) : nullptr;
        if (totals) std::fill(totals, totals + categories.size(), 0.0);
        int fired = 0;
        const Rule* best = nullptr;
        for (int i = 0; i < n;) {
            const Entry& e = entries[static_cast<std::size_t>(i)];
            if (preds.eval(ctx, e.pred) != Truth::yes) {
                i = e.end;
                continue;
            }
            ++i;
            if (e.rule < 0) continue;
            const Rule& rule = rules[static_cast<std::size_t>(e.rule)];
            ++fired;
            if (totals)
                totals[rule.category] =
                    static_cast<double>(fm::num<T>(totals[rule.category]) + fm::num<T>(rule.weight));
            else if (!best || rule.weight > best->weight)
                best = &rule;  // the first of equally weighted rules wins
        }
        if (fired == 0) {
            select(fallback, r);
            return;
        }
        if (best) {
            select(*best, r);
            return;
        }
        // weightedSum: the category with the highest total weight (the first listed on ties);
        // its confidence is that total over the number of firing rules.
        int win = 0;
        for (std::size_t c = 1; c < categories.size(); ++c)
            if (totals[c] > totals[win]) win = static_cast<int>(c);
        r.category = win;
        r.value = category_value(win);
        auto share = [&](double t) { return static_cast<double>(fm::num<T>(t) / fm::num<T>(fired)); };
        for (std::size_t c = 0; c < categories.size(); ++c) r.confidences[c] = share(totals[c]);
        r.has_confidences = true;
        r.confidence = share(totals[win]);
    }
};

}  // namespace

std::unique_ptr<CompiledModel> compile_ruleset_model(ModelContext& mc) {
    auto m = std::make_unique<RuleSetModelImpl>();
    auto& c = mc.c;
    c.init_model(*m, mc);
    auto n = mc.node;
    if (!m->classification()) c.unsupported(n, "a RuleSetModel must have functionName=\"classification\"");
    auto rs = Compiler::child(n, "RuleSet");
    if (!rs) c.parse_fail(n, "RuleSetModel without a RuleSet");
    auto methods = Compiler::children(rs, "RuleSelectionMethod");
    if (methods.empty()) c.parse_fail(rs, "RuleSet without a RuleSelectionMethod");
    // The first method is the one to score with; the others are alternatives the document offers.
    auto crit = c.required(methods.front(), "criterion");
    if (crit == "firstHit")
        m->criterion = RuleSetModelImpl::Criterion::first_hit;
    else if (crit == "weightedSum")
        m->criterion = RuleSetModelImpl::Criterion::weighted_sum;
    else if (crit == "weightedMax")
        m->criterion = RuleSetModelImpl::Criterion::weighted_max;
    else
        c.invalid(methods.front(), "unknown criterion '" + std::string(crit) + "'");
    if (c.has_attr(rs, "defaultScore")) m->fallback.category = m->intern_category(c.attr(rs, "defaultScore"));
    m->fallback.confidence = c.number(rs, "defaultConfidence", nan_v);
    m->read_dists(c, rs, m->fallback);
    m->compile_rules(mc, rs, mc.depth + 1);
    if (m->float_math) {
        // x-mathContext="float": the document's numbers are float32 values (NaN stays NaN)
        auto f = [](double& x) { x = static_cast<double>(static_cast<float>(x)); };
        f(m->fallback.confidence);
        f(m->fallback.weight);
        for (auto& rule : m->rules) {
            f(rule.confidence);
            f(rule.weight);
        }
        for (auto& d : m->dists) {
            f(d.count);
            f(d.probability);
            f(d.confidence);
        }
        // A ScoreDistribution without probabilities scores count / total: its float value is fixed
        // per rule, so it is computed here (sum and quotient in float) and stored as given.
        auto shares = [&](const RuleSetModelImpl::Rule& rule) {
            auto* first = m->dists.data() + rule.dist_first;
            float total = 0.0f;
            bool given = true;
            for (int i = 0; i < rule.dist_count; ++i) {
                total += static_cast<float>(first[i].count);
                given = given && !std::isnan(first[i].probability);
            }
            if (given || !(total > 0)) return;
            for (int i = 0; i < rule.dist_count; ++i)
                first[i].probability = static_cast<double>(static_cast<float>(first[i].count) / total);
        };
        shares(m->fallback);
        for (const auto& rule : m->rules) shares(rule);
    }
    return m;
}

}  // namespace scorestream::pmml::detail
