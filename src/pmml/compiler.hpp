#pragma once
// The load-time side: reads the pugixml tree once and compiles it into a Program plus a tree of
// CompiledModel objects. Every load error is a typed scorestream exception naming the element and
// its line. Private to src/pmml.

#include "core.hpp"
#include "model_base.hpp"

#include <scorestream/error.hpp>

#include <pugixml.hpp>

#include <deque>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace scorestream::pmml::detail {

/// A name scope: a model's fields, a function's parameters, or the document's global fields.
struct Scope {
    Scope* parent = nullptr;
    bool function_scope = false;
    struct Entry {
        int slot = -1;
        int param = -1;  ///< function parameter index (function scopes)
        DataType param_type = DataType::unknown;
        pugi::xml_node pending;  ///< a DerivedField not compiled yet
        bool busy = false;       ///< being compiled (cycle detection)
    };
    std::unordered_map<std::string, Entry> names;
};

/// A user function (DefineFunction), compiled on first call.
struct FunctionDef {
    std::string name;
    pugi::xml_node node;
    std::vector<std::string> params;
    std::vector<DataType> param_types;
    DataType type = DataType::unknown;
    ExprPtr body;
    bool busy = false;
    bool compiled = false;
    double calls = 0;  ///< calls of functions one call of this one makes, nested ones included
    int depth = 1;     ///< this function and the deepest chain of calls under it
};

/// A resolved field reference: a slot, or a function parameter.
struct FieldRefTarget {
    int slot = -1;
    int param = -1;
    DataType type = DataType::unknown;
};

/// Limits that keep hostile documents from exhausting the stack or memory.
struct Limits {
    int max_depth = 400;  ///< nesting of Nodes, predicates, expressions, segments
    /// Calls of DefineFunctions one record may make, counting the calls inside functions: a few
    /// functions that each call the previous twice would otherwise make 2^n calls a record.
    double max_calls = 1'000'000;
    int max_call_depth = 64;  ///< functions calling functions, this many deep at most
    std::size_t max_elements = 50'000'000;
    std::size_t max_array = 10'000'000;
};

class Compiler;

/// Everything a model family needs while compiling one model element.
struct ModelContext {
    Compiler& c;
    pugi::xml_node node;
    Scope& scope;
    const FieldDomain* target_domain = nullptr;
    int depth = 0;
    /// The model's target field ("" when it names none): only loading reads it.
    std::string target_name;
};

class Compiler {
public:
    Compiler(std::string_view text, Program& prog, Limits limits);

    pugi::xml_document doc;
    std::string_view text;
    Program& prog;
    Limits limits;
    std::string pmml_version;
    std::string producer;
    int next_input = 0;
    std::vector<std::string> input_names;

    // ---- diagnostics ---------------------------------------------------------------------------
    int line_of(pugi::xml_node n) const;
    std::string where(pugi::xml_node n) const;
    [[noreturn]] void parse_fail(pugi::xml_node n, const std::string& msg) const;
    [[noreturn]] void unsupported(pugi::xml_node n, const std::string& msg) const;
    [[noreturn]] void invalid(pugi::xml_node n, const std::string& msg) const;

    // ---- attributes ----------------------------------------------------------------------------
    static std::string_view name_of(pugi::xml_node n);  ///< local element name (no prefix)
    /// A name without its namespace prefix ("data:input" -> "input"). InlineTable columns and
    /// cells are matched by local name, so converters' namespaced cells work.
    static std::string_view local_name(std::string_view qualified);
    std::string_view attr(pugi::xml_node n, const char* name) const;
    bool has_attr(pugi::xml_node n, const char* name) const;
    std::string_view required(pugi::xml_node n, const char* name) const;
    double number(pugi::xml_node n, const char* name, double fallback) const;
    double required_number(pugi::xml_node n, const char* name) const;
    long integer(pugi::xml_node n, const char* name, long fallback) const;
    DataType data_type(pugi::xml_node n, DataType fallback) const;
    OpType op_type(pugi::xml_node n, OpType fallback) const;
    /// Child elements with this local name.
    static std::vector<pugi::xml_node> children(pugi::xml_node n, std::string_view name);
    static pugi::xml_node child(pugi::xml_node n, std::string_view name);
    /// Parses an Array element into its items.
    std::vector<std::string> array_items(pugi::xml_node array) const;

    // ---- fields ----------------------------------------------------------------------------------
    std::unordered_map<std::string, FieldDomain*> domains;
    Scope global;
    std::map<std::string, std::unique_ptr<FunctionDef>, std::less<>> functions;

    const FieldDomain* domain(std::string_view name) const;
    FieldRefTarget resolve(Scope& scope, std::string_view name, pugi::xml_node where);
    int resolve_slot(Scope& scope, std::string_view name, pugi::xml_node where);
    /// Registers the DerivedField children of `container` (LocalTransformations etc.) in `scope`.
    void declare_derived(pugi::xml_node container, Scope& scope);
    DataType slot_type(int slot) const { return prog.layout.slots[static_cast<std::size_t>(slot)].type; }
    /// The interned strings of a top-level string input (created on first use, seeded with the
    /// DataField's listed values), or nullptr for any other slot.
    Symbols* symbols(int slot) {
        const auto& d = prog.layout.slots[static_cast<std::size_t>(slot)];
        if (d.kind != SlotDef::Kind::input || d.type != DataType::string) return nullptr;
        auto i = static_cast<std::size_t>(slot);
        if (prog.symbols.size() <= i) prog.symbols.resize(prog.layout.slots.size());
        if (!prog.symbols[i]) {
            // The listed values are read from the DataField's list when they are distinct (as they
            // should be), else interned (a repeated value keeps its first index).
            const FieldDomain* dom = d.treatment() ? d.treatment()->domain : nullptr;
            if (dom && dom->distinct_texts() == dom->valid_text().size()) {
                prog.symbols[i] = std::make_unique<Symbols>(dom->valid_text());
            } else {
                prog.symbols[i] = std::make_unique<Symbols>();
                if (dom)
                    for (std::string_view v : dom->valid_text()) prog.symbols[i]->intern(v);
            }
        }
        return prog.symbols[i].get();
    }
    /// A numeric top-level input: its value is mirrored in EvalScratch::xs for the fast tree path.
    bool is_direct(int slot) const {
        const auto& d = prog.layout.slots[static_cast<std::size_t>(slot)];
        return d.kind == SlotDef::Kind::input && is_numeric(d.type) && d.type != DataType::boolean;
    }

    // ---- expressions ---------------------------------------------------------------------------
    static bool is_expression(std::string_view element);
    ExprPtr expression(pugi::xml_node n, Scope& scope, int depth = 0);
    /// The single expression child of n (DerivedField, OutputField, DefineFunction).
    ExprPtr expression_child(pugi::xml_node n, Scope& scope, int depth = 0);
    FunctionDef* function(std::string_view name, pugi::xml_node where);

    // ---- models ----------------------------------------------------------------------------------
    std::vector<std::unique_ptr<CompiledModel>> models;  ///< every model, owned here
    static bool is_model_element(std::string_view element);
    /// Compiles a model element with its MiningSchema, LocalTransformations, Targets and Output;
    /// `parent` is the enclosing scope (global for the top-level model).
    CompiledModel* model(pugi::xml_node n, Scope& parent, int depth, bool top);
    /// Shared set-up every family calls first: function, target, categories, Targets.
    void init_model(CompiledModel& m, ModelContext& mc);

    /// A model's OutputFields as compiling reads them (the document's outputs, and later segments
    /// or an anomaly detector reading a nested model's), in document order.
    struct ModelOutputs {
        std::vector<int> slots;
        std::vector<std::string> names;
        std::vector<std::uint8_t> final;  ///< per output: isFinalResult (1) or not (0)
    };
    const ModelOutputs& outputs(const CompiledModel& m) const;
    /// Makes a nested model's output fields visible by name in the enclosing model's scope.
    void expose_outputs(const CompiledModel& inner, Scope& scope) const;

    void compile_document();
    CompiledModel* top = nullptr;
    std::vector<int> top_outputs;  ///< final output slots of the top model
    std::vector<std::string> top_output_names;
    std::string top_kind;
    std::string top_name;         ///< the top model's modelName
    std::string group_field;      ///< the top model's MiningField with usageType="group", if any
    std::string top_target;       ///< the top model's target field ("" when it names none)
    pugi::xml_node verification;  ///< ModelVerification of the top model, if any

private:
    void read_data_dictionary(pugi::xml_node dd);
    void read_transformation_dictionary(pugi::xml_node td);
    void read_mining_schema(ModelContext& mc, bool top);
    void read_targets(CompiledModel& m, ModelContext& mc);
    void read_output(CompiledModel& m, ModelContext& mc);
    void compile_derived(Scope::Entry& e, Scope& home, const std::string& name);
    /// Counts a call of f at n (CallExpr): into the function whose body is being compiled, or into
    /// the document's calls per record; refuses the document past Limits::max_calls.
    void count_call(const FunctionDef& f, pugi::xml_node n);
    std::vector<std::size_t> line_starts_;
    /// Expressions being compiled, one inside another, across the derived fields and functions
    /// they compile on first reference (each of which starts its own depth count at 1).
    int nesting_ = 0;
    /// Per function body being compiled: the calls it makes and the depth of the deepest.
    struct BodyCalls {
        double calls = 0;
        int depth = 0;
    };
    std::vector<BodyCalls> bodies_;
    double document_calls_ = 0;  ///< calls per record made outside function bodies
    std::deque<Scope> scopes_;   ///< model scopes (stable addresses while compiling)
    bool read_mining_schema_top_ = false;
    std::unordered_map<const CompiledModel*, ModelOutputs> outputs_;  ///< models with an Output
};

/// TextIndex (text_index.cpp).
ExprPtr compile_text_index(Compiler& c, pugi::xml_node n, Scope& scope, int depth);

// ---- the model families ------------------------------------------------------------------------
std::unique_ptr<CompiledModel> compile_tree_model(ModelContext& mc);
std::unique_ptr<CompiledModel> compile_regression_model(ModelContext& mc);
std::unique_ptr<CompiledModel> compile_mining_model(ModelContext& mc);
std::unique_ptr<CompiledModel> compile_general_regression_model(ModelContext& mc);
std::unique_ptr<CompiledModel> compile_neural_network(ModelContext& mc);
std::unique_ptr<CompiledModel> compile_anomaly_detection_model(ModelContext& mc);
std::unique_ptr<CompiledModel> compile_ruleset_model(ModelContext& mc);
std::unique_ptr<CompiledModel> compile_association_model(ModelContext& mc);
std::unique_ptr<CompiledModel> compile_scorecard(ModelContext& mc);
std::unique_ptr<CompiledModel> compile_nearest_neighbor_model(ModelContext& mc);
std::unique_ptr<CompiledModel> compile_support_vector_machine_model(ModelContext& mc);
std::unique_ptr<CompiledModel> compile_naive_bayes_model(ModelContext& mc);
std::unique_ptr<CompiledModel> compile_clustering_model(ModelContext& mc);

}  // namespace scorestream::pmml::detail
