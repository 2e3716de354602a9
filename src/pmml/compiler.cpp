// Document-level compilation: header checks, DataDictionary, TransformationDictionary, and the
// parts every model shares (MiningSchema, LocalTransformations, Targets, Output).

#include "compiler.hpp"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <deque>

namespace scorestream::pmml::detail {

Compiler::Compiler(std::string_view text_in, Program& p, Limits l) : text(text_in), prog(p), limits(l) {
    // Lines end at \n, \r\n or a lone \r (old Mac files).
    line_starts_.push_back(0);
    for (std::size_t i = 0; i < text.size(); ++i)
        if (text[i] == '\n' || (text[i] == '\r' && (i + 1 == text.size() || text[i + 1] != '\n')))
            line_starts_.push_back(i + 1);
    auto res = doc.load_buffer(text.data(), text.size(), pugi::parse_default | pugi::parse_ws_pcdata_single,
                               pugi::encoding_auto);
    if (!res) {
        auto off = static_cast<std::size_t>(std::max<std::ptrdiff_t>(res.offset, 0));
        auto line = std::upper_bound(line_starts_.begin(), line_starts_.end(), off) - line_starts_.begin();
        throw parse_error("PMML: malformed XML at line " + std::to_string(line) + ": " + res.description());
    }
}

int Compiler::line_of(pugi::xml_node n) const {
    auto off = n.offset_debug();
    if (off < 0) return 0;
    return static_cast<int>(
        std::upper_bound(line_starts_.begin(), line_starts_.end(), static_cast<std::size_t>(off)) -
        line_starts_.begin());
}

std::string Compiler::where(pugi::xml_node n) const {
    return "<" + std::string(name_of(n)) + "> at line " + std::to_string(line_of(n));
}

void Compiler::parse_fail(pugi::xml_node n, const std::string& msg) const {
    throw parse_error("PMML " + where(n) + ": " + msg);
}
void Compiler::unsupported(pugi::xml_node n, const std::string& msg) const {
    throw unsupported_error("PMML " + where(n) + ": " + msg);
}
void Compiler::invalid(pugi::xml_node n, const std::string& msg) const {
    throw invalid_value_error("PMML " + where(n) + ": " + msg);
}

std::string_view Compiler::name_of(pugi::xml_node n) {
    std::string_view s = n.name();
    auto colon = s.find(':');
    if (colon != std::string_view::npos) s.remove_prefix(colon + 1);
    return s;
}

std::string_view Compiler::local_name(std::string_view qualified) {
    auto colon = qualified.find(':');
    return colon == std::string_view::npos ? qualified : qualified.substr(colon + 1);
}

std::string_view Compiler::attr(pugi::xml_node n, const char* name) const {
    return n.attribute(name).value();
}
bool Compiler::has_attr(pugi::xml_node n, const char* name) const { return !n.attribute(name).empty(); }

std::string_view Compiler::required(pugi::xml_node n, const char* name) const {
    auto a = n.attribute(name);
    if (a.empty()) parse_fail(n, std::string("missing required attribute '") + name + "'");
    return a.value();
}

double Compiler::number(pugi::xml_node n, const char* name, double fallback) const {
    auto a = n.attribute(name);
    if (a.empty()) return fallback;
    double x;
    if (!parse_double(a.value(), x)) {
        // A number beyond a double's range reads as no number: say which it is.
        char* end = nullptr;
        const long double wide = std::strtold(a.value(), &end);
        const bool huge = end != a.value() && *end == '\0' && std::isinf(static_cast<double>(wide));
        invalid(n, std::string("attribute '") + name + "' = '" + a.value() + "' is " +
                       (huge ? "beyond the range of a double" : "not a number"));
    }
    return x;
}

double Compiler::required_number(pugi::xml_node n, const char* name) const {
    required(n, name);
    return number(n, name, 0.0);
}

long Compiler::integer(pugi::xml_node n, const char* name, long fallback) const {
    double x = number(n, name, static_cast<double>(fallback));
    if (x != std::floor(x))
        invalid(n, std::string("attribute '") + name + "' = '" + std::string(attr(n, name)) +
                       "' is not an integer");
    if (std::fabs(x) > 1e15)
        invalid(n, std::string("attribute '") + name + "' = '" + std::string(attr(n, name)) +
                       "' is out of range (at most 1e15)");
    return static_cast<long>(x);
}

DataType Compiler::data_type(pugi::xml_node n, DataType fallback) const {
    auto t = attr(n, "dataType");
    if (t.empty()) return fallback;
    if (t == "string") return DataType::string;
    if (t == "integer") return DataType::integer;
    if (t == "float") return DataType::float_;
    if (t == "double") return DataType::double_;
    if (t == "boolean") return DataType::boolean;
    if (t == "date") return DataType::date;
    if (t == "time") return DataType::time;
    if (t == "dateTime") return DataType::datetime;
    if (t.substr(0, 4) == "date" || t.substr(0, 4) == "time")
        unsupported(n, "dataType '" + std::string(t) + "' is not supported");
    invalid(n, "unknown dataType '" + std::string(t) + "'");
}

OpType Compiler::op_type(pugi::xml_node n, OpType fallback) const {
    auto t = attr(n, "optype");
    if (t.empty()) return fallback;
    if (t == "categorical") return OpType::categorical;
    if (t == "ordinal") return OpType::ordinal;
    if (t == "continuous") return OpType::continuous;
    invalid(n, "unknown optype '" + std::string(t) + "'");
}

std::vector<pugi::xml_node> Compiler::children(pugi::xml_node n, std::string_view name) {
    std::vector<pugi::xml_node> out;
    for (auto k : n.children())
        if (k.type() == pugi::node_element && name_of(k) == name) out.push_back(k);
    return out;
}

pugi::xml_node Compiler::child(pugi::xml_node n, std::string_view name) {
    for (auto k : n.children())
        if (k.type() == pugi::node_element && name_of(k) == name) return k;
    return {};
}

std::vector<std::string> Compiler::array_items(pugi::xml_node array) const {
    std::string_view s = array.child_value();
    std::vector<std::string> out;
    std::size_t i = 0;
    while (i < s.size()) {
        while (i < s.size() && std::isspace(static_cast<unsigned char>(s[i]))) ++i;
        if (i >= s.size()) break;
        std::string item;
        if (s[i] == '"') {
            ++i;
            while (i < s.size() && s[i] != '"') {
                if (s[i] == '\\' && i + 1 < s.size()) ++i;
                item.push_back(s[i++]);
            }
            if (i >= s.size()) parse_fail(array, "unterminated quoted string in Array");
            ++i;
        } else {
            while (i < s.size() && !std::isspace(static_cast<unsigned char>(s[i]))) item.push_back(s[i++]);
        }
        out.push_back(std::move(item));
        if (out.size() > limits.max_array) invalid(array, "Array too large");
    }
    if (has_attr(array, "n")) {
        long n = integer(array, "n", 0);
        if (n != static_cast<long>(out.size()))
            invalid(array, "Array n=" + std::to_string(n) + " but it holds " + std::to_string(out.size()) +
                               " items");
    }
    return out;
}

// ---- fields ----------------------------------------------------------------------------------------

const FieldDomain* Compiler::domain(std::string_view name) const {
    auto it = domains.find(std::string(name));
    return it == domains.end() ? nullptr : it->second;
}

void Compiler::read_data_dictionary(pugi::xml_node dd) {
    // Both change what a field's values mean (a hierarchy of categories; a cyclic range, where the
    // distance wraps around): ignoring them would give other answers than the producer's.
    if (auto tx = child(dd, "Taxonomy")) unsupported(tx, "Taxonomy is not supported");
    for (auto f : children(dd, "DataField")) {
        if (has_attr(f, "taxonomy")) unsupported(f, "DataField taxonomy is not supported");
        if (attr(f, "isCyclic") == "1") unsupported(f, "DataField isCyclic=\"1\" is not supported");
        auto d = std::make_unique<FieldDomain>();
        const std::string name(required(f, "name"));
        d->type = data_type(f, DataType::unknown);
        if (d->type == DataType::unknown) parse_fail(f, "DataField without dataType");
        d->optype = op_type(f, d->type == DataType::string ? OpType::categorical : OpType::continuous);
        std::vector<std::string> valid_text, display;
        std::vector<double> valid_num;
        std::vector<FieldDomain::Interval> intervals;
        for (auto v : children(f, "Value")) {
            std::string val(required(v, "value"));
            auto prop = attr(v, "property");
            double x = nan_v;
            bool num = is_numeric(d->type) && parse_double(val, x);
            if (prop.empty() || prop == "valid") {
                if (num) valid_num.push_back(x);
                valid_text.push_back(val);
                display.emplace_back(attr(v, "displayValue"));
            } else if (prop == "invalid") {
                if (num) d->own_markers().invalid_num.push_back(x);
                d->own_markers().invalid_text.push_back(val);
            } else if (prop == "missing") {
                if (num) d->own_markers().missing_num.push_back(x);
                d->own_markers().missing_text.push_back(val);
            } else {
                invalid(v, "unknown Value property '" + std::string(prop) + "'");
            }
        }
        for (auto iv : children(f, "Interval")) {
            FieldDomain::Interval i;
            i.lo = number(iv, "leftMargin", -HUGE_VAL);
            i.hi = number(iv, "rightMargin", HUGE_VAL);
            auto cl = required(iv, "closure");
            if (cl != "openOpen" && cl != "openClosed" && cl != "closedOpen" && cl != "closedClosed")
                invalid(iv, "unknown closure '" + std::string(cl) + "'");
            i.lo_closed = cl == "closedOpen" || cl == "closedClosed";
            i.hi_closed = cl == "openClosed" || cl == "closedClosed";
            intervals.push_back(i);
        }
        d->set_lists(valid_text, valid_num, display, intervals);
        d->shrink_markers();
        if (domains.count(name)) invalid(f, "DataField '" + name + "' is defined twice");
        domains[name] = d.get();
        prog.domains.push_back(std::move(d));
    }
}

void Compiler::declare_derived(pugi::xml_node container, Scope& scope) {
    for (auto df : children(container, "DerivedField")) {
        std::string name(required(df, "name"));
        Scope::Entry e;
        e.pending = df;
        if (scope.names.count(name)) invalid(df, "field '" + name + "' is defined twice");
        scope.names[name] = e;
    }
}

void Compiler::read_transformation_dictionary(pugi::xml_node td) {
    for (auto fn : children(td, "DefineFunction")) {
        auto f = std::make_unique<FunctionDef>();
        f->name = std::string(required(fn, "name"));
        f->node = fn;
        f->type = data_type(fn, DataType::unknown);
        for (auto p : children(fn, "ParameterField")) {
            f->params.emplace_back(required(p, "name"));
            f->param_types.push_back(data_type(p, DataType::unknown));
        }
        if (functions.count(f->name)) invalid(fn, "function '" + f->name + "' is defined twice");
        functions[f->name] = std::move(f);
    }
    declare_derived(td, global);
}

void Compiler::compile_derived(Scope::Entry& e, Scope& home, const std::string& name) {
    if (e.busy)
        invalid(e.pending, "derived field '" + name + "' depends on itself (a cycle of derived fields)");
    e.busy = true;
    auto node = e.pending;
    DataType t = data_type(node, DataType::unknown);
    ExprPtr x = expression_child(node, home, 1);
    SlotDef def;
    def.kind = SlotDef::Kind::derived;
    def.type = t != DataType::unknown ? t : x->type;
    def.optype = op_type(node, OpType::unknown);
    def.expr = x.get();
    def.buffer = prog.layout.add_buffer();
    prog.exprs.push_back(std::move(x));
    e.slot = prog.layout.add_slot(std::move(def), name);
    e.busy = false;
}

FieldRefTarget Compiler::resolve(Scope& scope, std::string_view name, pugi::xml_node where_node) {
    std::string key(name);
    for (Scope* s = &scope; s; s = s->parent) {
        auto it = s->names.find(key);
        if (it != s->names.end()) {
            Scope::Entry& e = it->second;
            if (e.param >= 0) return {-1, e.param, e.param_type};
            if (e.slot < 0) compile_derived(e, *s, key);
            return {e.slot, -1, slot_type(e.slot)};
        }
        if (s->function_scope) break;
    }
    if (!scope.function_scope) {
        if (const FieldDomain* d = domain(name)) {
            // A DataField no MiningSchema above lists: read it from the row as is.
            auto t = std::make_unique<Treatment>();
            t->domain = d;
            t->invalid = InvalidTreatment::as_is;
            SlotDef def;
            def.kind = SlotDef::Kind::input;
            def.type = d->type;
            def.optype = d->optype;
            def.source = next_input++;
            def.treat = t.get();
            def.buffer = prog.layout.add_buffer();
            prog.treatments.push_back(std::move(t));
            input_names.push_back(key);
            Scope::Entry e;
            e.slot = prog.layout.add_slot(std::move(def), key);
            global.names[key] = e;
            return {e.slot, -1, d->type};
        }
    }
    invalid(where_node, "reference to undefined field '" + key + "'");
}

int Compiler::resolve_slot(Scope& scope, std::string_view name, pugi::xml_node where_node) {
    auto t = resolve(scope, name, where_node);
    if (t.param >= 0)
        invalid(where_node, "function parameter '" + std::string(name) + "' used outside an expression");
    return t.slot;
}

// ---- models ----------------------------------------------------------------------------------------

bool Compiler::is_model_element(std::string_view e) {
    return e == "AssociationModel" || e == "BayesianNetworkModel" || e == "BaselineModel" ||
           e == "ClusteringModel" || e == "GaussianProcessModel" || e == "GeneralRegressionModel" ||
           e == "MiningModel" || e == "NaiveBayesModel" || e == "NearestNeighborModel" ||
           e == "NeuralNetwork" || e == "RegressionModel" || e == "RuleSetModel" || e == "SequenceModel" ||
           e == "Scorecard" || e == "SupportVectorMachineModel" || e == "TextModel" ||
           e == "TimeSeriesModel" || e == "TreeModel" || e == "AnomalyDetectionModel";
}

namespace {

/// The child elements a model element may hold (PMML 3.0 to 4.4), past the ones every model may:
/// nullptr for the elements this library does not evaluate (refused by model()).
const std::vector<std::string_view>* model_children(std::string_view kind) {
    static const std::vector<std::pair<std::string_view, std::vector<std::string_view>>> table = {
        {"TreeModel", {"Node"}},
        {"RegressionModel", {"RegressionTable"}},
        {"MiningModel", {"Segmentation", "Regression", "DecisionTree"}},
        {"GeneralRegressionModel",
         {"ParameterList", "FactorList", "CovariateList", "PPMatrix", "PCovMatrix", "ParamMatrix",
          "EventValues", "BaseCumHazardTables"}},
        {"NeuralNetwork", {"NeuralInputs", "NeuralLayer", "NeuralOutputs"}},
        {"AnomalyDetectionModel", {"ParameterList", "MeanClusterDistances"}},  // and its model
        {"RuleSetModel", {"RuleSet"}},
        {"AssociationModel", {"Item", "Itemset", "AssociationRule"}},
        {"Scorecard", {"Characteristics"}},
        {"NearestNeighborModel", {"TrainingInstances", "ComparisonMeasure", "KNNInputs"}},
        {"SupportVectorMachineModel",
         {"LinearKernelType", "PolynomialKernelType", "RadialBasisKernelType", "SigmoidKernelType",
          "VectorDictionary", "SupportVectorMachine"}},
        {"NaiveBayesModel", {"BayesInputs", "BayesOutput"}},
        {"ClusteringModel",
         {"ComparisonMeasure", "ClusteringField", "CenterFields", "MissingValueWeights", "Cluster"}},
    };
    for (const auto& [name, kids] : table)
        if (name == kind) return &kids;
    return nullptr;
}

}  // namespace

CompiledModel* Compiler::model(pugi::xml_node n, Scope& parent, int depth, bool top_level) {
    if (depth > 32) invalid(n, "models nested deeper than 32 levels");
    auto kind = name_of(n);
    // An element a model may not hold is refused rather than passed over: what it would have said
    // (a Segmentation inside a RegressionModel, an element of a later PMML version) would be lost.
    if (const auto* own = model_children(kind)) {
        static const std::string_view common[] = {
            "Extension", "MiningSchema",         "Output",           "ModelStats", "ModelExplanation",
            "Targets",   "LocalTransformations", "ModelVerification"};
        for (auto k : n.children()) {
            if (k.type() != pugi::node_element) continue;
            const auto name = name_of(k);
            if (std::find(std::begin(common), std::end(common), name) != std::end(common) ||
                std::find(own->begin(), own->end(), name) != own->end() ||
                (kind == "AnomalyDetectionModel" && is_model_element(name)))
                continue;
            unsupported(k, "<" + std::string(name) + "> is not an element of <" + std::string(kind) + ">");
        }
    }
    Scope& scope = scopes_.emplace_back();
    scope.parent = &parent;
    ModelContext mc{*this, n, scope, nullptr, depth, {}};
    if (has_attr(n, "isScorable") && attr(n, "isScorable") == "false")
        unsupported(n, "model is marked isScorable=\"false\"");
    read_mining_schema_top_ = top_level;
    std::unique_ptr<CompiledModel> m;
    if (kind == "TreeModel")
        m = compile_tree_model(mc);
    else if (kind == "RegressionModel")
        m = compile_regression_model(mc);
    else if (kind == "MiningModel")
        m = compile_mining_model(mc);
    else if (kind == "GeneralRegressionModel")
        m = compile_general_regression_model(mc);
    else if (kind == "NeuralNetwork")
        m = compile_neural_network(mc);
    else if (kind == "AnomalyDetectionModel")
        m = compile_anomaly_detection_model(mc);
    else if (kind == "RuleSetModel")
        m = compile_ruleset_model(mc);
    else if (kind == "AssociationModel")
        m = compile_association_model(mc);
    else if (kind == "Scorecard")
        m = compile_scorecard(mc);
    else if (kind == "NearestNeighborModel")
        m = compile_nearest_neighbor_model(mc);
    else if (kind == "SupportVectorMachineModel")
        m = compile_support_vector_machine_model(mc);
    else if (kind == "NaiveBayesModel")
        m = compile_naive_bayes_model(mc);
    else if (kind == "ClusteringModel")
        m = compile_clustering_model(mc);
    else
        unsupported(n, "model element <" + std::string(kind) + "> is not supported");
    if (!m) unsupported(n, "model element <" + std::string(kind) + "> is not supported");
    read_output(*m, mc);
    if (top_level) top_target = mc.target_name;
    m->finalize(prog.layout);
    if (m->categorical())
        prog.layout.result_sizes.emplace_back(m->result, static_cast<int>(m->categories.size()));
    models.push_back(std::move(m));
    return models.back().get();
}

void Compiler::init_model(CompiledModel& m, ModelContext& mc) {
    auto n = mc.node;
    auto kind = name_of(n);
    auto fn = required(n, "functionName");
    if (fn == "regression")
        m.function = MiningFunction::regression;
    else if (fn == "classification")
        m.function = MiningFunction::classification;
    else if (fn == "associationRules" && kind == "AssociationModel")
        m.function = MiningFunction::association_rules;
    else if (fn == "mixed" && kind == "NearestNeighborModel")
        m.function = MiningFunction::mixed;
    else if (fn == "clustering" && (kind == "ClusteringModel" || kind == "MiningModel"))
        m.function = MiningFunction::clustering;
    else if (fn == "clustering" || fn == "mixed" || fn == "associationRules" || fn == "sequences" ||
             fn == "timeSeries")
        unsupported(
            n, "functionName '" + std::string(fn) + "' is not supported for <" + std::string(kind) + ">");
    else
        invalid(n, "unknown functionName '" + std::string(fn) + "'");
    auto math = attr(n, "x-mathContext");
    if (math == "float")
        m.float_math = true;
    else if (!math.empty() && math != "double")
        invalid(n, "unknown x-mathContext '" + std::string(math) + "' (float or double)");
    m.result = prog.layout.results++;
    read_mining_schema(mc, read_mining_schema_top_);
    read_mining_schema_top_ = false;
    if (auto lt = child(n, "LocalTransformations")) declare_derived(lt, mc.scope);
    if (!mc.target_name.empty()) {
        mc.target_domain = domain(mc.target_name);
        if (mc.target_domain) m.target_type = mc.target_domain->type;
    }
    if (m.classification() && mc.target_domain) {
        const auto* d = mc.target_domain;
        for (std::size_t i = 0; i < d->valid_text().size(); ++i) {
            int c = m.intern_category(d->valid_text()[i]);
            if (!d->display().empty())
                m.categories.set_display(static_cast<std::size_t>(c), std::string(d->display()[i]));
        }
    }
    read_targets(m, mc);
}

void Compiler::read_mining_schema(ModelContext& mc, bool top_level) {
    auto ms = child(mc.node, "MiningSchema");
    if (!ms) parse_fail(mc.node, "model without a MiningSchema");
    for (auto mf : children(ms, "MiningField")) {
        std::string name(required(mf, "name"));
        auto usage = attr(mf, "usageType");
        if (usage.empty()) usage = "active";
        // The top model's fields are the DataDictionary's, whatever their use (a nested model's may
        // also be derived fields and outputs of the models before it).
        if (top_level && !domain(name))
            invalid(mf, "MiningField '" + name + "' is not in the DataDictionary");
        if (usage == "predicted" || usage == "target") {
            if (mc.target_name.empty()) mc.target_name = name;
            continue;
        }
        if (usage == "group" && top_level && group_field.empty()) group_field = name;
        if (usage != "active") {
            if (usage == "supplementary" || usage == "group" || usage == "order" ||
                usage == "frequencyWeight" || usage == "analysisWeight")
                continue;
            invalid(mf, "unknown usageType '" + std::string(usage) + "'");
        }
        auto t = std::make_unique<Treatment>();
        const FieldDomain* d = domain(name);
        t->domain = d;
        auto ivt = attr(mf, "invalidValueTreatment");
        if (ivt.empty() || ivt == "returnInvalid")
            t->invalid = InvalidTreatment::return_invalid;
        else if (ivt == "asIs")
            t->invalid = InvalidTreatment::as_is;
        else if (ivt == "asMissing")
            t->invalid = InvalidTreatment::as_missing;
        else if (ivt == "asValue")
            t->invalid = InvalidTreatment::as_value;
        else
            invalid(mf, "unknown invalidValueTreatment '" + std::string(ivt) + "'");
        auto out = attr(mf, "outliers");
        if (out.empty() || out == "asIs")
            t->outliers = OutlierTreatment::as_is;
        else if (out == "asMissingValues")
            t->outliers = OutlierTreatment::as_missing;
        else if (out == "asExtremeValues")
            t->outliers = OutlierTreatment::as_extreme;
        else
            invalid(mf, "unknown outliers '" + std::string(out) + "'");
        const double low = number(mf, "lowValue", -HUGE_VAL), high = number(mf, "highValue", HUGE_VAL);
        if (t->outliers == OutlierTreatment::as_extreme &&
            (!has_attr(mf, "lowValue") || !has_attr(mf, "highValue")))
            invalid(mf, "outliers=\"asExtremeValues\" needs lowValue and highValue");
        if (low > high) invalid(mf, "lowValue is above highValue");
        // The bounds are read only when the outliers are treated (KNIME writes them on every field).
        if (t->outliers != OutlierTreatment::as_is && (low != -HUGE_VAL || high != HUGE_VAL)) {
            t->own_rare().low = low;
            t->own_rare().high = high;
        }
        if (attr(mf, "missingValueTreatment") == "returnInvalid") t->missing_is_invalid = true;

        int source = -1;
        DataType type;
        if (top_level) {
            type = d->type;  // (a top model's MiningField is a DataField: checked above)
        } else {
            source = resolve_slot(*mc.scope.parent, name, mf);
            type = slot_type(source);
        }
        auto make_value = [&](const char* attr_name) {
            auto r = std::make_unique<Treatment::Replacement>();
            r->text = std::string(attr(mf, attr_name));
            double x;
            if (is_numeric(type)) {
                if (!parse_double(r->text, x))
                    invalid(mf, std::string(attr_name) + " '" + r->text + "' is not a number");
                r->value = Value::number(x, r->text);
            } else {
                r->value = Value::string(r->text);
            }
            return std::unique_ptr<const Treatment::Replacement>(std::move(r));
        };
        if (has_attr(mf, "missingValueReplacement"))
            t->own_rare().replacement = make_value("missingValueReplacement");
        if (t->invalid == InvalidTreatment::as_value) {
            if (!has_attr(mf, "invalidValueReplacement"))
                invalid(mf, "invalidValueTreatment=\"asValue\" needs invalidValueReplacement");
            t->own_rare().invalid_replacement = make_value("invalidValueReplacement");
        }
        SlotDef def;
        def.type = type;
        def.optype = op_type(mf, d ? d->optype : OpType::unknown);
        def.buffer = prog.layout.add_buffer();
        def.treat = t.get();
        if (top_level) {
            def.kind = SlotDef::Kind::input;
            def.plain = !t->replacement() && t->outliers == OutlierTreatment::as_is &&
                        !t->missing_is_invalid &&
                        (type == DataType::double_ || type == DataType::float_ || type == DataType::integer ||
                         type == DataType::string) &&
                        (!d || (!d->markers && (type == DataType::string ? d->optype != OpType::continuous
                                                                         : d->valid_text().empty())));
            def.source = next_input++;
            input_names.push_back(name);
            Scope::Entry e;
            e.slot = prog.layout.add_slot(std::move(def), name);
            if (global.names.count(name)) invalid(mf, "MiningField '" + name + "' is listed twice");
            global.names[name] = e;
        } else {
            const SlotDef& parent_def = prog.layout.slots[static_cast<std::size_t>(source)];
            const Treatment* parent_treat = parent_def.treatment();
            bool same = parent_treat && parent_treat->invalid == t->invalid;
            if (t->trivial() || (same && !t->replacement() && t->outliers == OutlierTreatment::as_is &&
                                 !t->missing_is_invalid)) {
                Scope::Entry e;
                e.slot = source;
                mc.scope.names[name] = e;
                continue;
            }
            def.kind = SlotDef::Kind::treated;
            def.source = source;
            Scope::Entry e;
            e.slot = prog.layout.add_slot(std::move(def), name);
            mc.scope.names[name] = e;
        }
        prog.treatments.push_back(std::move(t));
    }
}

void Compiler::read_targets(CompiledModel& m, ModelContext& mc) {
    auto targets = child(mc.node, "Targets");
    if (!targets) return;
    auto list = children(targets, "Target");
    pugi::xml_node target;
    for (auto t : list) {
        auto f = attr(t, "field");
        if (f.empty() || f == mc.target_name || list.size() == 1) {
            target = t;
            break;
        }
    }
    if (!target) return;
    if (mc.target_name.empty() && has_attr(target, "field"))
        mc.target_name = std::string(attr(target, "field"));
    auto built = std::make_unique<TargetPost>();
    TargetPost& post = *built;
    m.post = std::move(built);  // the model owns it from here; its fields are set below
    post.factor = number(target, "rescaleFactor", 1.0);
    post.constant = number(target, "rescaleConstant", 0.0);
    post.min = number(target, "min", -HUGE_VAL);
    post.max = number(target, "max", HUGE_VAL);
    if (post.min > post.max) invalid(target, "min is above max");
    auto cast = attr(target, "castInteger");
    if (cast == "round")
        post.cast = TargetPost::Cast::round;
    else if (cast == "ceiling")
        post.cast = TargetPost::Cast::ceiling;
    else if (cast == "floor")
        post.cast = TargetPost::Cast::floor;
    else if (!cast.empty())
        invalid(target, "unknown castInteger '" + std::string(cast) + "'");
    auto values = children(target, "TargetValue");
    if (m.function == MiningFunction::regression) {
        for (auto tv : values)
            if (has_attr(tv, "defaultValue")) {
                post.has_default = true;
                post.default_value = number(tv, "defaultValue", 0.0);
            }
        return;
    }
    bool priors = false;
    for (auto tv : values) {
        if (!has_attr(tv, "value")) continue;
        int c = m.intern_category(attr(tv, "value"));
        if (has_attr(tv, "displayValue"))
            m.categories.set_display(static_cast<std::size_t>(c), std::string(attr(tv, "displayValue")));
        if (has_attr(tv, "priorProbability")) priors = true;
    }
    if (priors) {
        post.priors.assign(m.categories.size(), 0.0);
        for (auto tv : values) {
            if (!has_attr(tv, "value")) continue;
            int c = m.find_category(attr(tv, "value"));
            post.priors[static_cast<std::size_t>(c)] = number(tv, "priorProbability", 0.0);
        }
    }
}

void Compiler::read_output(CompiledModel& m, ModelContext& mc) {
    auto output = child(mc.node, "Output");
    if (!output) return;
    std::vector<std::string_view> names;
    for (auto of : children(output, "OutputField")) {
        std::string name(required(of, "name"));
        if (std::find(names.begin(), names.end(), std::string_view(name)) != names.end())
            invalid(of, "OutputField '" + name + "' is defined twice");
        names.push_back(attr(of, "name"));
        if (has_attr(of, "targetField")) {
            const auto target = attr(of, "targetField");
            if (target != mc.target_name && !domain(target))
                invalid(of, "targetField '" + std::string(target) + "' is not a field of the DataDictionary");
        }
        auto d = std::make_unique<OutputDef>();
        d->model = &m;
        auto feature = attr(of, "feature");
        if (m.parse_output(*this, of, *d))
            d->feature = OutputDef::Feature::family;
        else if (feature.empty() || feature == "predictedValue")
            d->feature = OutputDef::Feature::predicted_value;
        else if (feature == "predictedDisplayValue")
            d->feature = OutputDef::Feature::predicted_display_value;
        else if (feature == "probability")
            d->feature = OutputDef::Feature::probability;
        else if (feature == "confidence")
            d->feature = OutputDef::Feature::confidence;
        else if (feature == "transformedValue")
            d->feature = OutputDef::Feature::transformed_value;
        else if (feature == "decision")
            d->feature = OutputDef::Feature::decision;
        else if (feature == "entityId")
            d->feature = OutputDef::Feature::entity_id;
        else
            unsupported(of, "OutputField feature '" + std::string(feature) + "' is not supported for <" +
                                std::string(name_of(mc.node)) + ">");
        if (has_attr(of, "segmentId")) unsupported(of, "OutputField segmentId is not supported");
        if ((d->feature == OutputDef::Feature::probability || d->feature == OutputDef::Feature::confidence) &&
            has_attr(of, "value")) {
            if (!m.classification())
                invalid(of, "probability of a value in a model that is not a classification");
            // A target that lists its values has no others: a probability of one it does not list
            // (a misspelt class) would be 0 on every record.
            if (m.find_category(attr(of, "value")) < 0 && mc.target_domain &&
                !mc.target_domain->valid_text().empty())
                invalid(of, "value '" + std::string(attr(of, "value")) +
                                "' is not a category of the target '" + mc.target_name + "'");
            d->category = m.intern_category(attr(of, "value"));
        }
        if ((d->feature == OutputDef::Feature::probability || d->feature == OutputDef::Feature::confidence) &&
            !m.classification())
            invalid(of, "feature '" + std::string(feature) + "' needs a classification model");
        if (d->feature == OutputDef::Feature::transformed_value || d->feature == OutputDef::Feature::decision)
            d->expr = expression_child(of, mc.scope, 1);
        SlotDef def;
        def.kind = SlotDef::Kind::output;
        def.type = data_type(of, DataType::unknown);
        def.optype = op_type(of, OpType::unknown);
        def.output = d.get();
        def.buffer = prog.layout.add_buffer();
        d->type = def.type;
        d->buffer = def.buffer;
        int slot = prog.layout.add_slot(std::move(def), name);
        prog.outputs.push_back(std::move(d));
        Scope::Entry e;
        e.slot = slot;
        mc.scope.names[name] = e;
        ModelOutputs& outs = outputs_[&m];
        outs.slots.push_back(slot);
        outs.names.push_back(name);
        outs.final.push_back(attr(of, "isFinalResult") != "false" ? 1 : 0);
    }
}

void Compiler::compile_document() {
    auto root = doc.document_element();
    if (!root || name_of(root) != "PMML") {
        if (!root) throw parse_error("PMML: the document has no root element");
        parse_fail(root, "the root element must be <PMML>");
    }
    std::string_view ns = attr(root, "xmlns");
    std::string_view version = attr(root, "version");
    if (version.empty()) parse_fail(root, "missing the version attribute");
    pmml_version = std::string(version);
    static const char* known[] = {"3.0", "3.1", "3.2", "4.0", "4.1", "4.2", "4.3", "4.4"};
    bool ok = false;
    for (auto k : known) ok = ok || version == k;
    if (!ok)
        unsupported(root, "PMML version '" + std::string(version) + "' is not supported (3.0 to 4.4 are)");
    // A prefixed root (<p:PMML xmlns:p="...">) declares its namespace under the prefix.
    const std::string_view raw = root.name();
    if (const auto colon = raw.find(':'); colon != std::string_view::npos) {
        ns = attr(root, ("xmlns:" + std::string(raw.substr(0, colon))).c_str());
        if (ns.empty()) parse_fail(root, "the prefix of <" + std::string(raw) + "> has no namespace");
    }
    if (!ns.empty()) {
        // The namespace of a PMML version this library reads; producers do not always write the
        // one of their version attribute (3.1's namespace on version 3.2 documents, for one).
        static const char* spaces[] = {"3_0", "3_1", "3_2", "4_0", "4_1", "4_2", "4_3", "4_4"};
        const std::string_view prefix = "http://www.dmg.org/PMML-";
        bool known_ns = false;
        for (auto v : spaces) known_ns = known_ns || ns == std::string(prefix) + v;
        if (!known_ns)
            parse_fail(root, "namespace '" + std::string(ns) + "' is not a PMML namespace (" +
                                 std::string(prefix) + "3_0 to 4_4)");
    }
    if (auto header = child(root, "Header"))
        if (auto app = child(header, "Application")) {
            producer = std::string(attr(app, "name"));
            if (has_attr(app, "version")) producer += " " + std::string(attr(app, "version"));
        }
    auto dd = child(root, "DataDictionary");
    if (!dd) parse_fail(root, "missing the DataDictionary");
    read_data_dictionary(dd);
    if (auto td = child(root, "TransformationDictionary")) read_transformation_dictionary(td);
    pugi::xml_node model_node;
    for (auto k : root.children()) {
        if (k.type() != pugi::node_element) continue;
        if (is_model_element(name_of(k))) {
            if (attr(k, "isScorable") == "false") continue;
            model_node = k;
            break;
        }
    }
    if (!model_node) parse_fail(root, "the document holds no model");
    top_kind = std::string(name_of(model_node));
    top_name = std::string(attr(model_node, "modelName"));
    top = model(model_node, global, 0, true);
    verification = child(model_node, "ModelVerification");
    prog.input_slots.assign(input_names.size(), -1);
    for (std::size_t i = 0; i < prog.layout.slots.size(); ++i) {
        const auto& def = prog.layout.slots[i];
        if (def.kind == SlotDef::Kind::input)
            prog.input_slots[static_cast<std::size_t>(def.source)] = static_cast<int>(i);
    }
    // Every plain string input gets its interned strings, so load_inputs checks validity and finds
    // the category index with one hash lookup, whether or not a model compares the input.
    for (std::size_t i = 0; i < prog.layout.slots.size(); ++i)
        if (prog.layout.slots[i].plain) symbols(static_cast<int>(i));
    // Up to the last slot that has symbols (none for a document of numbers): readers check the size.
    while (!prog.symbols.empty() && !prog.symbols.back()) prog.symbols.pop_back();
    for (auto& sym : prog.symbols)
        if (sym) sym->finish();
    prog.direct.assign(prog.layout.slots.size(), 0);
    for (std::size_t i = 0; i < prog.layout.slots.size(); ++i)
        prog.direct[i] = is_direct(static_cast<int>(i)) ? 1 : 0;
    // Sealing trees may set Symbols::divert bits, which the plan copies.
    for (auto& m : models) m->seal(prog);  // nested models come first in `models`
    prog.build_plan();
    const ModelOutputs& outs = outputs(*top);
    for (std::size_t i = 0; i < outs.slots.size(); ++i) {
        if (!outs.final[i]) continue;
        top_outputs.push_back(outs.slots[i]);
        top_output_names.push_back(outs.names[i]);
    }
}

const Compiler::ModelOutputs& Compiler::outputs(const CompiledModel& m) const {
    static const ModelOutputs none;
    auto it = outputs_.find(&m);
    return it == outputs_.end() ? none : it->second;
}

void Compiler::expose_outputs(const CompiledModel& inner, Scope& scope) const {
    const ModelOutputs& outs = outputs(inner);
    for (std::size_t i = 0; i < outs.slots.size(); ++i) {
        Scope::Entry e;
        e.slot = outs.slots[i];
        scope.names[outs.names[i]] = e;
    }
}

}  // namespace scorestream::pmml::detail
