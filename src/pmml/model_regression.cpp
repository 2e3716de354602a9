// RegressionModel: regression tables with numeric, categorical and interaction terms, and every
// normalizationMethod of the spec.

#include "compiler.hpp"
#include "link.hpp"

namespace scorestream::pmml::detail {
namespace {

class RegressionModelImpl final : public CompiledModel {
public:
    struct NumTerm {
        int slot;
        double coef;
        double exponent;
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
    struct Table {
        double intercept = 0.0;
        int category = -1;
        std::vector<NumTerm> nums;
        std::vector<CatTerm> cats;
        std::vector<InterTerm> inters;
    };
    std::vector<Table> tables;
    Normalization norm = Normalization::none;
    int work = -1;

    /// False when a numeric input is missing.
    bool table_value(Ctx& ctx, const Table& t, double& y) const {
        double acc = t.intercept;
        for (const auto& term : t.nums) {
            const Value& v = ctx.get(term.slot);
            double x;
            if (!as_double(v, x)) return false;
            acc += term.coef * (term.exponent == 1.0 ? x : std::pow(x, term.exponent));
        }
        for (const auto& term : t.cats) {
            if (term.index >= 0) {
                if (ctx.s->cats[static_cast<std::size_t>(term.slot)] == term.index) acc += term.coef;
                continue;
            }
            const Value& v = ctx.get(term.slot);
            if (v.is_missing()) continue;
            bool match = v.is_number() && term.has_num ? v.as_number() == term.num : v.text() == term.text;
            if (match) acc += term.coef;
        }
        for (const auto& term : t.inters) {
            double prod = term.coef;
            for (int s : term.slots) {
                double x;
                if (!as_double(ctx.get(s), x)) return false;
                prod *= x;
            }
            acc += prod;
        }
        y = acc;
        return true;
    }

protected:
    void evaluate(Ctx& ctx, ModelResult& r) const override {
        if (!classification()) {
            double y;
            if (!table_value(ctx, tables[0], y)) return;
            r.value = Value::number(apply_link(norm, y));
            return;
        }
        std::size_t k = tables.size();
        double* ys = ctx.work(work);
        for (std::size_t i = 0; i < k; ++i)
            if (!table_value(ctx, tables[i], ys[i])) return;
        normalize_classes(norm, ys, k);
        for (std::size_t i = 0; i < k; ++i) r.probs[static_cast<std::size_t>(tables[i].category)] = ys[i];
        r.has_probs = true;
        pick_best(r);
    }
};

}  // namespace

std::unique_ptr<CompiledModel> compile_regression_model(ModelContext& mc) {
    auto m = std::make_unique<RegressionModelImpl>();
    auto& c = mc.c;
    c.init_model(*m, mc);
    auto n = mc.node;
    if (m->target_name.empty() && c.has_attr(n, "targetFieldName"))
        m->target_name = std::string(c.attr(n, "targetFieldName"));
    m->norm = parse_normalization(c, n, c.attr(n, "normalizationMethod"));
    auto tables = Compiler::children(n, "RegressionTable");
    if (tables.empty()) c.parse_fail(n, "RegressionModel without a RegressionTable");
    if (!m->classification() && tables.size() != 1)
        c.invalid(n, "a regression RegressionModel needs exactly one RegressionTable");
    for (auto t : tables) {
        RegressionModelImpl::Table table;
        table.intercept = c.required_number(t, "intercept");
        if (m->classification()) table.category = m->intern_category(c.required(t, "targetCategory"));
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
        m->work = c.prog.layout.add_work(static_cast<int>(m->tables.size()));
    }
    return m;
}

}  // namespace scorestream::pmml::detail
