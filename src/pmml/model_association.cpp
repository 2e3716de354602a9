// AssociationModel: Items, Itemsets and AssociationRules compiled into flat arrays of item
// indexes. A record is one transaction: the items of the basket come from the active item field
// as a list (see scorestream::pmml::item_list: one group of a grouped input), and an Item with a
// `field` attribute is present when that field holds its value (the tabular form). Outputs select
// rules by algorithm (recommendation, exclusiveRecommendation, ruleAssociation), rank them by
// rankBasis in rankOrder and return the ruleFeature of the rule at `rank` (or of ranks 1..rank,
// as one list, with isMultiValued="1").

#include "compiler.hpp"

#include <algorithm>

namespace scorestream::pmml::detail {
namespace {

class AssociationModelImpl final : public CompiledModel {
public:
    struct Item {
        std::string value;
        int slot = -1;  ///< tabular item: the field that holds it; -1: an item of the basket list
        double num = 0.0;
        bool has_num = false;
    };
    struct Rule {
        int antecedent, consequent;                            ///< itemset indexes
        double support, confidence, lift, leverage, affinity;  ///< NaN where the document gives none
        std::string id;
    };
    enum Algorithm : int { recommendation, exclusive_recommendation, rule_association };
    enum Basis : int { by_confidence, by_support, by_lift, by_leverage, by_affinity };
    enum RuleFeature : int {
        f_consequent,
        f_antecedent,
        f_rule,
        f_rule_id,
        f_support,
        f_confidence,
        f_lift,
        f_leverage,
        f_affinity
    };

    std::vector<Item> items;
    std::vector<std::pair<std::string_view, int>> by_value;  ///< basket items sorted by value
    std::vector<int> set_first, set_count, set_items;        ///< itemsets as runs of item indexes
    std::vector<Rule> rules;
    std::vector<int> list_slots;  ///< fields holding basket lists
    int present = -1;             ///< work area: 1 per item present in the current basket

    int item_index(std::string_view v) const noexcept {
        auto it = std::lower_bound(by_value.begin(), by_value.end(), v,
                                   [](const auto& e, std::string_view t) { return e.first < t; });
        return it != by_value.end() && it->first == v ? it->second : -1;
    }

    bool subset(const double* in, int set) const noexcept {
        auto b = static_cast<std::size_t>(set_first[static_cast<std::size_t>(set)]);
        auto e = b + static_cast<std::size_t>(set_count[static_cast<std::size_t>(set)]);
        for (auto i = b; i < e; ++i)
            if (in[set_items[i]] == 0.0) return false;
        return true;
    }

    bool selected(const double* in, const Rule& rule, int algorithm) const noexcept {
        switch (algorithm) {
            case recommendation:
                return subset(in, rule.antecedent);
            case exclusive_recommendation:
                return subset(in, rule.antecedent) && !subset(in, rule.consequent);
            default:
                return subset(in, rule.antecedent) && subset(in, rule.consequent);
        }
    }

    static double basis_value(const Rule& r, int basis) noexcept {
        switch (basis) {
            case by_support:
                return r.support;
            case by_lift:
                return r.lift;
            case by_leverage:
                return r.leverage;
            case by_affinity:
                return r.affinity;
            default:
                return r.confidence;
        }
    }

    void finalize(Layout& layout) override {
        present = layout.add_work(static_cast<int>(items.size()));
        // Outputs that select and rank alike (algorithm, rankBasis, rankOrder) share one ranking
        // per record: [ranked yet?, selected count, how many are sorted, rule indexes...].
        std::vector<std::pair<int, int>> keys;  // (param, order bits) -> work area
        std::vector<int> areas;
        for (auto* d : pending_) {
            std::pair<int, int> key(d->param, d->param2 & 15);
            auto it = std::find(keys.begin(), keys.end(), key);
            if (it == keys.end()) {
                keys.push_back(key);
                areas.push_back(layout.add_work(3 + static_cast<int>(rules.size())));
                it = keys.end() - 1;
            }
            d->work = areas[static_cast<std::size_t>(it - keys.begin())];
        }
        rankings_ = areas;
        pending_.clear();
    }

    bool parse_output(Compiler& c, const pugi::xml_node& of, OutputDef& d) override {
        auto feature = c.attr(of, "feature");
        if (feature != "ruleValue") {
            if (feature.empty() || feature == "predictedValue" || feature == "transformedValue" ||
                feature == "decision")
                return false;
            c.unsupported(of, "feature '" + std::string(feature) + "' is not defined for <AssociationModel>");
        }
        auto alg = c.attr(of, "algorithm");
        if (alg.empty() || alg == "exclusiveRecommendation")
            d.param = exclusive_recommendation;
        else if (alg == "recommendation")
            d.param = recommendation;
        else if (alg == "ruleAssociation")
            d.param = rule_association;
        else
            c.invalid(of, "unknown algorithm '" + std::string(alg) + "'");
        auto basis = c.attr(of, "rankBasis");
        int b = by_confidence;
        if (basis.empty() || basis == "confidence")
            b = by_confidence;
        else if (basis == "support")
            b = by_support;
        else if (basis == "lift")
            b = by_lift;
        else if (basis == "leverage")
            b = by_leverage;
        else if (basis == "affinity")
            b = by_affinity;
        else
            c.invalid(of, "unknown rankBasis '" + std::string(basis) + "'");
        auto order = c.attr(of, "rankOrder");
        if (!order.empty() && order != "descending" && order != "ascending")
            c.invalid(of, "unknown rankOrder '" + std::string(order) + "'");
        bool ascending = order == "ascending";
        auto mv = c.attr(of, "isMultiValued");
        if (!mv.empty() && mv != "0" && mv != "1") c.invalid(of, "isMultiValued must be 0 or 1");
        bool multi = mv == "1";
        auto f = c.attr(of, "ruleFeature");
        int feat = f_consequent;
        if (f.empty() || f == "consequent")
            feat = f_consequent;
        else if (f == "antecedent")
            feat = f_antecedent;
        else if (f == "rule")
            feat = f_rule;
        else if (f == "ruleId")
            feat = f_rule_id;
        else if (f == "support")
            feat = f_support;
        else if (f == "confidence")
            feat = f_confidence;
        else if (f == "lift")
            feat = f_lift;
        else if (f == "leverage")
            feat = f_leverage;
        else if (f == "affinity")
            feat = f_affinity;
        else
            c.invalid(of, "unknown ruleFeature '" + std::string(f) + "'");
        long rank = c.integer(of, "rank", 1);
        if (rank < 1) c.invalid(of, "rank must be at least 1");
        d.rank = static_cast<int>(std::min<long>(rank, 1 << 30));
        d.param2 = b | (ascending ? 8 : 0) | (multi ? 16 : 0) | (feat << 8);
        d.feature_name = "ruleValue";
        pending_.push_back(&d);
        return true;
    }

    /// Appends the text of one rule feature to `out` (multi-valued outputs, set-valued features).
    void append_items(std::string& out, int set) const {
        auto b = static_cast<std::size_t>(set_first[static_cast<std::size_t>(set)]);
        auto e = b + static_cast<std::size_t>(set_count[static_cast<std::size_t>(set)]);
        for (auto i = b; i < e; ++i) {
            if (i > b) out.push_back(',');
            out += items[static_cast<std::size_t>(set_items[i])].value;
        }
    }
    void append_feature(std::string& out, const Rule& rule, int feat) const {
        char buf[32];
        double x = nan_v;
        switch (feat) {
            case f_consequent:
                append_items(out, rule.consequent);
                return;
            case f_antecedent:
                append_items(out, rule.antecedent);
                return;
            case f_rule:
                out.push_back('{');
                append_items(out, rule.antecedent);
                out += "}->{";
                append_items(out, rule.consequent);
                out.push_back('}');
                return;
            case f_rule_id:
                out += rule.id;
                return;
            case f_support:
                x = rule.support;
                break;
            case f_confidence:
                x = rule.confidence;
                break;
            case f_lift:
                x = rule.lift;
                break;
            case f_leverage:
                x = rule.leverage;
                break;
            default:
                x = rule.affinity;
                break;
        }
        out.append(buf, format_double(x, buf, sizeof buf));
    }

    Value family_output(Ctx& ctx, const OutputDef& d, const ModelResult& /*r*/) const override {
        const double* in = ctx.work(present);
        double* area = ctx.work(d.work);
        double* picked = area + 3;
        int basis = d.param2 & 7, feat = d.param2 >> 8;
        bool ascending = (d.param2 & 8) != 0, multi = (d.param2 & 16) != 0;
        if (area[0] == 0.0) {  // not ranked yet for this record (evaluate() clears the flag)
            std::size_t count = 0;
            for (std::size_t i = 0; i < rules.size(); ++i)
                if (selected(in, rules[i], d.param) && !std::isnan(basis_value(rules[i], basis)))
                    picked[count++] = static_cast<double>(i);
            area[0] = 1.0;
            area[1] = static_cast<double>(count);
            area[2] = 0.0;
        }
        auto n = static_cast<std::size_t>(area[1]);
        auto want = static_cast<std::size_t>(d.rank);
        if (!multi && n < want) return Value::missing();
        std::size_t top = std::min(n, want);
        if (static_cast<std::size_t>(area[2]) < top) {
            // Best first by the rank basis; equal values keep the document's order. The order is
            // total, so sorting a longer prefix later keeps the shorter one.
            std::partial_sort(picked, picked + top, picked + n, [&](double a, double b) {
                double x = basis_value(rules[static_cast<std::size_t>(a)], basis);
                double y = basis_value(rules[static_cast<std::size_t>(b)], basis);
                if (x != y) return ascending ? x < y : x > y;
                return a < b;
            });
            area[2] = static_cast<double>(top);
        }
        if (!multi) {
            const Rule& rule = rules[static_cast<std::size_t>(picked[want - 1])];
            switch (feat) {
                case f_rule_id:
                    return Value::string(rule.id);
                case f_support:
                    return Value::number(rule.support);
                case f_confidence:
                    return Value::number(rule.confidence);
                case f_lift:
                    return std::isnan(rule.lift) ? Value::missing() : Value::number(rule.lift);
                case f_leverage:
                    return std::isnan(rule.leverage) ? Value::missing() : Value::number(rule.leverage);
                case f_affinity:
                    return std::isnan(rule.affinity) ? Value::missing() : Value::number(rule.affinity);
                default:
                    break;
            }
        }
        if (top == 0) return Value::missing();
        std::string& out = ctx.buffer(d.buffer);
        out.clear();
        for (std::size_t i = multi ? 0 : want - 1; i < top; ++i) {
            if (!out.empty()) out.push_back(';');
            append_feature(out, rules[static_cast<std::size_t>(picked[i])], feat);
        }
        return Value::string(out);
    }

    std::string summary() const override {
        return std::to_string(items.size()) + " items, " + std::to_string(set_first.size()) + " itemsets, " +
               std::to_string(rules.size()) + " rules";
    }

    std::size_t memory_bytes() const override {
        std::size_t n = own_bytes(*this) + items.capacity() * sizeof(Item) +
                        by_value.capacity() * sizeof(by_value[0]) +
                        (set_first.capacity() + set_count.capacity() + set_items.capacity()) * sizeof(int) +
                        rules.capacity() * sizeof(Rule);
        for (const auto& i : items) n += i.value.capacity() > 15 ? i.value.capacity() : 0;
        return n;
    }

protected:
    void evaluate(Ctx& ctx, ModelResult& /*r*/) const override {
        double* in = ctx.work(present);
        std::fill(in, in + items.size(), 0.0);
        for (int area : rankings_) *ctx.work(area) = 0.0;
        for (std::size_t i = 0; i < items.size(); ++i) {
            const Item& item = items[i];
            if (item.slot < 0) continue;
            const Value& v = ctx.get(item.slot);
            if (v.is_missing()) continue;
            bool match = v.is_number() && item.has_num ? v.as_number() == item.num : v.text() == item.value;
            if (match) in[i] = 1.0;
        }
        for (int slot : list_slots) {
            const Value& v = ctx.get(slot);
            if (v.is_missing()) continue;
            std::string_view s = v.text();
            char buf[32];
            if (v.is_number() && s.empty())
                s = std::string_view(buf, format_double(v.as_number(), buf, sizeof buf));
            mark_items(s, in);
        }
    }

private:
    /// Marks every item of a basket list (PMML Array form). Quoted items with escapes are
    /// unescaped into a small stack buffer; longer ones are compared piece by piece.
    void mark_items(std::string_view s, double* in) const {
        std::size_t i = 0;
        while (i < s.size()) {
            while (i < s.size() && std::isspace(static_cast<unsigned char>(s[i]))) ++i;
            if (i >= s.size()) break;
            if (s[i] != '"') {
                std::size_t b = i;
                while (i < s.size() && !std::isspace(static_cast<unsigned char>(s[i]))) ++i;
                int k = item_index(s.substr(b, i - b));
                if (k >= 0) in[k] = 1.0;
                continue;
            }
            ++i;
            char buf[256];
            std::size_t len = 0;
            bool fits = true;
            std::size_t b = i;
            bool escaped = false;
            while (i < s.size() && s[i] != '"') {
                if (s[i] == '\\' && i + 1 < s.size()) {
                    escaped = true;
                    ++i;
                }
                if (len < sizeof buf)
                    buf[len++] = s[i];
                else
                    fits = false;
                ++i;
            }
            std::string_view item = escaped ? std::string_view(buf, len) : s.substr(b, i - b);
            if (i < s.size()) ++i;           // the closing quote
            if (escaped && !fits) continue;  // longer than any item worth a lookup here
            int k = item_index(item);
            if (k >= 0) in[k] = 1.0;
        }
    }

    std::vector<OutputDef*> pending_;  ///< ruleValue outputs waiting for their work areas
    std::vector<int> rankings_;        ///< work areas of the shared rankings
};

}  // namespace

std::unique_ptr<CompiledModel> compile_association_model(ModelContext& mc) {
    auto m = std::make_unique<AssociationModelImpl>();
    auto& c = mc.c;
    c.init_model(*m, mc);
    auto n = mc.node;
    if (m->function != MiningFunction::association_rules)
        c.invalid(n, "an AssociationModel must have functionName=\"associationRules\"");
    std::unordered_map<std::string, int> item_ids;
    bool listed = false;
    for (auto it : Compiler::children(n, "Item")) {
        std::string id(c.required(it, "id"));
        AssociationModelImpl::Item item;
        item.value = std::string(c.required(it, "value"));
        if (c.has_attr(it, "field")) {
            item.slot = c.resolve_slot(mc.scope, c.attr(it, "field"), it);
            item.has_num = c.slot_type(item.slot) != DataType::string && parse_double(item.value, item.num);
        } else {
            listed = true;
        }
        if (!item_ids.emplace(id, static_cast<int>(m->items.size())).second)
            c.invalid(it, "Item id '" + id + "' is defined twice");
        m->items.push_back(std::move(item));
    }
    if (m->items.empty()) c.parse_fail(n, "AssociationModel without Items");
    for (std::size_t i = 0; i < m->items.size(); ++i)
        if (m->items[i].slot < 0) m->by_value.emplace_back(m->items[i].value, static_cast<int>(i));
    std::sort(m->by_value.begin(), m->by_value.end());
    for (std::size_t i = 1; i < m->by_value.size(); ++i)
        if (m->by_value[i].first == m->by_value[i - 1].first)
            c.invalid(n, "two Items have the value '" + std::string(m->by_value[i].first) + "'");
    if (listed) {
        // Items without a field come from the active fields as basket lists.
        auto ms = Compiler::child(n, "MiningSchema");
        for (auto mf : Compiler::children(ms, "MiningField")) {
            auto usage = c.attr(mf, "usageType");
            if (!usage.empty() && usage != "active") continue;
            m->list_slots.push_back(c.resolve_slot(mc.scope, c.attr(mf, "name"), mf));
        }
        if (m->list_slots.empty()) c.parse_fail(ms, "AssociationModel without an active item field");
    }
    std::unordered_map<std::string, int> set_ids;
    for (auto is : Compiler::children(n, "Itemset")) {
        std::string id(c.required(is, "id"));
        if (!set_ids.emplace(id, static_cast<int>(m->set_first.size())).second)
            c.invalid(is, "Itemset id '" + id + "' is defined twice");
        m->set_first.push_back(static_cast<int>(m->set_items.size()));
        for (auto ref : Compiler::children(is, "ItemRef")) {
            std::string r(c.required(ref, "itemRef"));
            auto f = item_ids.find(r);
            if (f == item_ids.end()) c.invalid(ref, "ItemRef names the undefined Item '" + r + "'");
            m->set_items.push_back(f->second);
        }
        m->set_count.push_back(static_cast<int>(m->set_items.size()) - m->set_first.back());
        if (m->set_count.back() == 0) c.parse_fail(is, "Itemset without ItemRefs");
    }
    for (auto ar : Compiler::children(n, "AssociationRule")) {
        AssociationModelImpl::Rule rule;
        auto set_of = [&](const char* attr_name) {
            std::string id(c.required(ar, attr_name));
            auto f = set_ids.find(id);
            if (f == set_ids.end())
                c.invalid(ar, std::string(attr_name) + " names the undefined Itemset '" + id + "'");
            return f->second;
        };
        rule.antecedent = set_of("antecedent");
        rule.consequent = set_of("consequent");
        rule.support = c.required_number(ar, "support");
        rule.confidence = c.required_number(ar, "confidence");
        rule.lift = c.number(ar, "lift", nan_v);
        rule.leverage = c.number(ar, "leverage", nan_v);
        rule.affinity = c.number(ar, "affinity", nan_v);
        // Rules without an id are numbered from 1 in document order.
        rule.id = c.has_attr(ar, "id") ? std::string(c.attr(ar, "id")) : std::to_string(m->rules.size() + 1);
        m->rules.push_back(std::move(rule));
    }
    return m;
}

}  // namespace scorestream::pmml::detail
