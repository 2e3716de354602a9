// PmmlModel: the public Model over a compiled document, load(), describe(), verify(), the factory.

#include "compiler.hpp"
#include "quick_tree.hpp"

#include <scorestream/pmml/factory.hpp>
#include <scorestream/pmml/model.hpp>

#include <cmath>
#include <cstring>
#include <fstream>
#include <limits>
#include <map>
#include <mutex>
#include <set>
#include <sstream>

namespace scorestream::pmml {

using namespace detail;

struct PmmlModel::Impl {
    ModelIdentity identity;
    ModelSchema schema;
    /// What describe() reports that scoring does not keep, read at load. The Description itself is
    /// built by the first describe() call: a process that only scores holds none of it.
    struct About {
        /// The PMML version, the producer, the model element, modelName and the group field (of
        /// a transactional model), in one TextList (describe() alone reads them).
        enum Text : std::size_t { pmml_version, producer, model_kind, model_name, group_field };
        TextList texts;
        std::string text(Text t) const { return std::string(texts[t]); }
        std::size_t text_bytes = 0, compiled_bytes = 0;
    } about;
    mutable std::unique_ptr<const Description> description;
    std::unique_ptr<const std::string> text;  ///< the document as given (keep_text), for to_bytes()
    Program prog;
    std::vector<std::unique_ptr<CompiledModel>> models;
    /// The DefineFunctions expressions call (held, never looked up); null when there are none.
    std::unique_ptr<std::vector<std::unique_ptr<FunctionDef>>> functions;
    const CompiledModel* top = nullptr;
    /// Per output: how score() computes it. `slot`: through its slot (conversions, expressions);
    /// `eval`: OutputDef::eval without the slot; `probability`: read straight from the model's
    /// probabilities when it has them; `number` / `string`: the predicted value as is when it already
    /// has the output's type (else through the slot).
    enum class Path : std::uint8_t { slot, eval, probability, number, string };
    /// What score() needs per output, in one place: the path, the result it reads (the model's
    /// index into EvalScratch::results), the category of a probability, the slot and the definition.
    struct OutputPlan {
        Path path;
        int category;
        std::uint32_t result;
        int slot;
        const OutputDef* def;
    };
    std::vector<OutputPlan> output_plan;
    /// Every output is a probability or the predicted value of the top model itself (the usual
    /// classifier and regressor): score() reads them from the top result it has in hand.
    bool top_outputs_only = false;

    /// The direct plan, chosen once at load when the top model is a tree or a classifier that gives
    /// its probabilities as they are (RegressionModel), and every output is a feature of that
    /// model's result: score() writes the prediction and the outputs without filling a ModelResult,
    /// and takes the general path for the records the plan does not cover.
    enum class Direct : std::uint8_t { none, tree, classes };
    Direct direct = Direct::none;
    /// classes: the outputs are the probability of every category in order, after the predicted
    /// value when class_first is 1 (the usual classifier): written without reading class_outputs.
    /// -1: any other list of outputs.
    std::int8_t class_first = -1;
    /// describe()'s Description is built once (here beside the bytes above rather than padded).
    mutable std::once_flag described;
    /// tree: per node, where its values start in node_values (-1: take the general path), and the
    /// same for a walk that selects no node (none_row); the values are the prediction and then every
    /// output, as the general path computes them for a record whose walk ends there (equal rows are
    /// stored once).
    /// Held apart (allocated for that plan only): a document of any other plan holds one pointer.
    struct TreePlan {
        std::vector<std::int32_t> node_row;
        std::int32_t none_row = -1;
        std::vector<Value> node_values;
        std::set<std::string> node_texts;       ///< the texts of node_values (stable addresses)
        const FlatTree* direct_tree = nullptr;  ///< the tree's flat form, walked inline when it applies
        /// A small direct_tree's splits tested all at once (QuickTree) in place of the walk; empty
        /// for larger trees.
        QuickTree direct_quick;
    };
    std::unique_ptr<TreePlan> tree;
    /// classes: per output, the category whose probability it is, or predicted_class (the predicted
    /// value) or predicted_probability (the probability of the predicted category).
    static constexpr int predicted_class = -1, predicted_probability = -2;
    std::vector<int> class_outputs;
    std::vector<Value> class_values;  ///< per category: the predicted value
    std::size_t class_count = 0;      ///< class_values.size(), read by every record
    /// prog.input_slots.size() and output_plan.size(), read by every record.
    std::uint32_t input_count = 0, output_count = 0;

    /// The outputs of the general path, from the results in ctx's scratch.
    void write_outputs(Ctx& ctx, Prediction& out) const;
    /// The ModelVerification element, re-parsed by verify(); nullptr when the document has none.
    std::unique_ptr<const std::string> verification_xml;
};

namespace {

const char* feature_name(OutputDef::Feature f) {
    switch (f) {
        case OutputDef::Feature::predicted_value:
            return "predictedValue";
        case OutputDef::Feature::predicted_display_value:
            return "predictedDisplayValue";
        case OutputDef::Feature::probability:
            return "probability";
        case OutputDef::Feature::confidence:
            return "confidence";
        case OutputDef::Feature::transformed_value:
            return "transformedValue";
        case OutputDef::Feature::decision:
            return "decision";
        case OutputDef::Feature::entity_id:
            return "entityId";
        case OutputDef::Feature::family:
            return "";
    }
    return "";
}

Description describe_document(const PmmlModel::Impl& impl);

/// The probabilities p[0..n) in category order into `to`, two to four categories (a logistic
/// regression, Iris) without a loop. Inlined where score() uses it: a call (as GCC's heuristics
/// would have it) costs about 20 instructions a record.
[[gnu::always_inline]] inline void write_probabilities(const double* p, std::size_t n, Value* to) {
    switch (n) {
        case 4:
            to[3] = Value::number(p[3]);
            [[fallthrough]];
        case 3:
            to[2] = Value::number(p[2]);
            [[fallthrough]];
        case 2:
            to[1] = Value::number(p[1]);
            to[0] = Value::number(p[0]);
            break;
        default:
            for (std::size_t c = 0; c < n; ++c) to[c] = Value::number(p[c]);
    }
}

}  // namespace

PmmlModel::PmmlModel(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
PmmlModel::~PmmlModel() = default;

const ModelIdentity& PmmlModel::identity() const noexcept { return impl_->identity; }
const ModelSchema& PmmlModel::schema() const noexcept { return impl_->schema; }
const Description& PmmlModel::describe() const {
    std::call_once(impl_->described, [this] {
        impl_->description = std::make_unique<const Description>(describe_document(*impl_));
    });
    return *impl_->description;
}
std::string PmmlModel::to_bytes() const { return impl_->text ? *impl_->text : std::string(); }

// Inlined into score(): a call there costs the ensembles about 25 instructions per record.
[[gnu::always_inline]] inline void PmmlModel::Impl::write_outputs(Ctx& ctx, Prediction& out) const {
    using Path = Impl::Path;
    const ModelResult* results = ctx.s->results.data();
    const std::uint32_t epoch = ctx.s->epoch;
    Value* outputs = out.outputs.data();
    for (const Impl::OutputPlan& op : output_plan) {
        Value& o = *outputs++;
        switch (op.path) {
            case Path::probability: {
                const ModelResult& mr = results[op.result];
                if (mr.epoch == epoch && mr.has_probs) {
                    o = Value::number(mr.probs[static_cast<std::size_t>(op.category)]);
                    continue;
                }
                o = op.def->eval(ctx);
                continue;
            }
            case Path::number:
            case Path::string: {
                const ModelResult& mr = results[op.result];
                bool want_number = op.path == Path::number;
                if (mr.epoch == epoch &&
                    (mr.value.is_missing() || (want_number ? mr.value.is_number() : mr.value.is_string()))) {
                    o = mr.value;
                    continue;
                }
                o = ctx.get(op.slot);
                continue;
            }
            case Path::eval:
                o = op.def->eval(ctx);
                continue;
            case Path::slot:
                o = ctx.get(op.slot);
                continue;
        }
    }
}

void PmmlModel::score(const FeatureRow& row, Prediction& out) const {
    const Impl& m = *impl_;
    auto& s = scratch_for<EvalScratch>(out, [&] { return m.prog.make_scratch(); });
    // Every output and the prediction are written below (or by out.reset() on failure); clear only
    // what a failed record could leave behind.
    out.error.clear();
    if (out.outputs.size() != m.output_count) out.outputs.assign(m.output_count, Value::missing());
    if (++s.epoch == 0) {
        std::fill(s.stamps.begin(), s.stamps.end(), 0u);
        for (auto& r : s.results) r.epoch = 0;
        s.epoch = 1;
    }
    if (row.size() < m.input_count) {
        out.reset(m.output_count);  // nothing of the previous record may remain
        out.error = "the row has " + std::to_string(row.size()) + " values; the model reads " +
                    std::to_string(m.input_count);
        return;
    }
    // The function argument stack is empty here: every call pops what it pushed, and a failure
    // clears it below. (Arguments are read relative to the call's own base in any case.)
    Ctx ctx{&m.prog, &s, &row};
    try {
        m.prog.load_inputs(ctx);
        using Direct = Impl::Direct;
        if (m.direct == Direct::tree) {
            const Impl::TreePlan& plan = *m.tree;
            const FlatTree* tree = plan.direct_tree;
            int k = !tree || !tree->applies(s)   ? m.top->direct_node(ctx)
                    : !plan.direct_quick.empty() ? plan.direct_quick.leaf(s.xs.data(), s.cats.data())
                                                 : tree->walk(s.xs.data(), s.cats.data());
            if (k != CompiledModel::general_path) {
                std::int32_t at = k >= 0 ? plan.node_row[static_cast<std::size_t>(k)] : plan.none_row;
                if (at >= 0) {
                    const Value* v = plan.node_values.data() + at;
                    out.value = v[0];
                    // Up to four outputs (the usual tree: a prediction and its probabilities) by
                    // plain copies: std::copy calls memmove, which costs more than the copies.
                    const std::size_t n = m.output_count;
                    Value* o = out.outputs.data();
                    switch (n) {
                        case 4:
                            o[3] = v[4];
                            [[fallthrough]];
                        case 3:
                            o[2] = v[3];
                            [[fallthrough]];
                        case 2:
                            o[1] = v[2];
                            [[fallthrough]];
                        case 1:
                            o[0] = v[1];
                            [[fallthrough]];
                        case 0:
                            break;
                        default:
                            std::copy(v + 1, v + 1 + n, o);
                    }
                    return;
                }
            }
        } else if (m.direct == Direct::classes) {
            if (const double* p = m.top->class_probabilities(ctx)) {
                const std::size_t n = m.class_count;
                int best = CompiledModel::best_of(p, n);
                if (best >= 0) {
                    const Value& predicted = m.class_values[static_cast<std::size_t>(best)];
                    out.value = predicted;
                    Value* o = out.outputs.data();
                    if (m.class_first == 1) {  // the predicted value first
                        o[0] = predicted;
                        write_probabilities(p, n, o + 1);
                        return;
                    }
                    if (m.class_first == 0) {
                        write_probabilities(p, n, o);
                        return;
                    }
                    for (int c : m.class_outputs) {
                        if (c == Impl::predicted_class)
                            *o++ = predicted;
                        else
                            *o++ = Value::number(p[c >= 0 ? c : best]);
                    }
                    return;
                }
            }
        }
        const ModelResult& r = m.top->run(ctx);
        out.value = r.value;
        using Path = Impl::Path;
        if (m.top_outputs_only) {
            // run() has just computed r for this record.
            const double* probs = r.probs.data();
            const bool has_probs = r.has_probs;
            const bool value_number = r.value.is_missing() || r.value.is_number();
            const bool value_string = r.value.is_missing() || r.value.is_string();
            Value* o = out.outputs.data();
            for (const Impl::OutputPlan& op : m.output_plan) {
                if (op.path == Path::probability) {
                    *o++ = has_probs ? Value::number(probs[static_cast<std::size_t>(op.category)])
                                     : op.def->eval(ctx);
                } else if (op.path == Path::number ? value_number : value_string) {
                    *o++ = r.value;
                } else {
                    *o++ = ctx.get(op.slot);
                }
            }
            return;
        }
        m.write_outputs(ctx, out);
    } catch (const EvalFailure& f) {
        s.frame.clear();
        out.reset(m.output_count);
        out.error = f.message;
    } catch (const std::exception& e) {
        s.frame.clear();
        out.reset(m.output_count);
        out.error = std::string("PMML evaluation failed: ") + e.what();
    }
}

namespace {

/// A copy of v whose text lives in `texts` (set elements keep their address).
Value owned(const Value& v, std::set<std::string>& texts) {
    if (v.text().empty()) return v;
    std::string_view t = *texts.insert(std::string(v.text())).first;
    return v.is_string() ? Value::string(t) : Value::number(v.as_number(), t);
}

/// Value's identity for merging equal leaf rows: kind, the number's bits and the text.
void append_key(std::string& key, const Value& v) {
    double x = v.as_number();
    char bits[sizeof x];
    std::memcpy(bits, &x, sizeof x);
    key.push_back(static_cast<char>(v.kind()));
    key.append(bits, sizeof bits);
    auto n = static_cast<std::uint32_t>(v.text().size());
    key.append(reinterpret_cast<const char*>(&n), sizeof n);
    key.append(v.text());
}

/// Points every model whose class labels equal an earlier model's at that model's table (the trees
/// of a forest usually have their parent's labels). Runs before anything holds a Value pointing at
/// a label: the replaced tables are freed.
void share_categories(const std::vector<std::unique_ptr<CompiledModel>>& models) {
    std::vector<const CompiledModel*> distinct;
    for (const auto& m : models) {
        if (m->categories.empty()) continue;
        m->categories.shrink();  // its own until shared below
        auto same = std::find_if(distinct.begin(), distinct.end(),
                                 [&](const CompiledModel* d) { return d->categories == m->categories; });
        if (same == distinct.end())
            distinct.push_back(m.get());
        else
            m->categories.share((*same)->categories);
    }
}

/// Chooses the direct plan (see PmmlModel::Impl::direct) when the document allows one.
void plan_direct(PmmlModel::Impl& m) {
    using Impl = PmmlModel::Impl;
    using F = OutputDef::Feature;
    const CompiledModel* top = m.top;
    for (const auto& op : m.output_plan) {
        F f = op.def->feature;
        bool of_result = f == F::predicted_value || f == F::predicted_display_value || f == F::probability ||
                         f == F::confidence || f == F::entity_id;
        if (!of_result || op.def->model != top) return;
    }
    const std::size_t n = m.output_plan.size();
    if (const std::size_t nodes = top->direct_nodes()) {
        // Every node's values, computed by the general path's own code from the result run() gives
        // for a walk that ends there without penalty or aggregation (direct_node() sends the other
        // records to the general path).
        constexpr std::size_t max_values = std::size_t{1} << 15;
        if ((nodes + 1) * (n + 1) > max_values) return;
        auto scratch = m.prog.make_scratch();
        EvalScratch& s = *scratch;
        std::vector<Value> none(m.prog.input_slots.size());  // outputs of a result read no input
        FeatureRow row(none.data(), none.size());
        Ctx ctx{&m.prog, &s, &row};
        Prediction p;
        p.outputs.assign(n, Value::missing());
        std::map<std::string, std::int32_t> rows;
        std::string key;
        auto plan = std::make_unique<Impl::TreePlan>();
        plan->node_row.assign(nodes, -1);
        for (int k = CompiledModel::no_node; k < static_cast<int>(nodes); ++k) {
            ++s.epoch;
            ModelResult& r = s.results[static_cast<std::size_t>(top->result)];
            if (!top->result_at(k, r)) return;
            r.epoch = s.epoch;
            try {
                m.write_outputs(ctx, p);
            } catch (const EvalFailure&) {
                continue;  // such a node's records take the general path, which reports the failure
            }
            key.clear();
            append_key(key, r.value);
            for (const Value& v : p.outputs) append_key(key, v);
            auto [it, added] = rows.emplace(key, static_cast<std::int32_t>(plan->node_values.size()));
            if (added) {
                plan->node_values.push_back(owned(r.value, plan->node_texts));
                for (const Value& v : p.outputs) plan->node_values.push_back(owned(v, plan->node_texts));
            }
            (k >= 0 ? plan->node_row[static_cast<std::size_t>(k)] : plan->none_row) = it->second;
        }
        plan->direct_tree = top->flat_tree();
        if (plan->direct_tree) plan->direct_quick = QuickTree::of(*plan->direct_tree);
        plan->node_row.shrink_to_fit();
        plan->node_values.shrink_to_fit();
        m.tree = std::move(plan);
        m.direct = Impl::Direct::tree;
        return;
    }
    if (!top->gives_class_probabilities()) return;
    bool numbers = true, strings = true;
    for (std::size_t c = 0; c < top->categories.size(); ++c) {
        m.class_values.push_back(top->category_value(static_cast<int>(c)));
        numbers = numbers && m.class_values.back().is_number();
        strings = strings && m.class_values.back().is_string();
    }
    // Only outputs the general path reads from the result as they are (no conversion through the
    // output's slot); such a model's result holds its probabilities and predicted category only.
    using Path = Impl::Path;
    for (const auto& op : m.output_plan) {
        F f = op.def->feature;
        int c = op.def->category;
        if ((f == F::probability && (op.path == Path::probability || op.path == Path::eval)) ||
            (f == F::confidence && op.path == Path::eval)) {
            m.class_outputs.push_back(c >= 0 ? c : Impl::predicted_probability);
        } else if (f == F::predicted_value &&
                   (op.path == Path::eval || (op.path == Path::number && numbers) ||
                    (op.path == Path::string && strings))) {
            m.class_outputs.push_back(Impl::predicted_class);
        } else {
            m.class_outputs.clear();
            m.class_values.clear();
            return;
        }
    }
    // The probabilities in category order, after the predicted value or not.
    const std::size_t first = !m.class_outputs.empty() && m.class_outputs[0] == Impl::predicted_class ? 1 : 0;
    bool in_order = m.class_outputs.size() == m.class_values.size() + first;
    for (std::size_t c = 0; in_order && c < m.class_values.size(); ++c)
        in_order = m.class_outputs[c + first] == static_cast<int>(c);
    m.class_first = in_order ? static_cast<std::int8_t>(first) : std::int8_t{-1};
    m.class_count = m.class_values.size();
    m.direct = Impl::Direct::classes;
}

/// Heap bytes of a string (none when its text fits in the object: up to 15 bytes).
std::size_t text_bytes(const std::string& t) { return t.capacity() > 15 ? t.capacity() + 1 : 0; }

std::size_t texts_bytes(const std::vector<std::string>& v) {
    std::size_t n = v.capacity() * sizeof(std::string);
    for (const auto& t : v) n += text_bytes(t);
    return n;
}

template <class T>
std::size_t vector_bytes(const std::vector<T>& v) {
    return v.capacity() * sizeof(T);
}

/// Releases what the tables' growth left unused once the document is loaded. Only tables read by
/// index are trimmed (nothing points into them); the models trim their own as they are sealed.
void trim(PmmlModel::Impl& impl) {
    auto fit = [](auto&... v) { (v.shrink_to_fit(), ...); };
    Program& prog = impl.prog;
    fit(prog.layout.slots, prog.layout.result_sizes, prog.domains, prog.treatments, prog.exprs, prog.outputs,
        prog.symbols, prog.input_slots, prog.plan, prog.number_inputs, prog.string_inputs, prog.direct);
    prog.layout.seal_names();
    fit(impl.models, impl.output_plan, impl.class_outputs, impl.class_values);
    fit(impl.schema.inputs, impl.schema.outputs);
}

/// describe().compiled_bytes: everything the loaded document holds (objects, vectors' capacity,
/// strings' heap), but the document text kept for to_bytes() (keep_text), which is text_bytes. Not
/// counted: expressions (of derived fields, their functions and the transformedValue or decision
/// of output fields; no corpus ensemble has any), the ModelVerification block (kept only for
/// verify()), describe()'s Description (built by its first call) and allocator overhead.
std::size_t compiled_bytes(const PmmlModel::Impl& impl) {
    const Program& prog = impl.prog;
    std::size_t n = sizeof(PmmlModel::Impl);
    // The models, each category table once (the trees of a forest share one).
    std::vector<const void*> tables;
    n += vector_bytes(impl.models);
    for (const auto& m : impl.models) {
        n += m->memory_bytes();
        const void* id = m->categories.id();
        if (id && std::find(tables.begin(), tables.end(), id) == tables.end()) {
            tables.push_back(id);
            n += m->categories.memory_bytes();
        }
    }
    // The document's tables: slots, validity, treatments, outputs, string inputs, input plans.
    n += vector_bytes(prog.layout.slots) + vector_bytes(prog.layout.result_sizes);
    n += prog.layout.names.heap_bytes();
    if (prog.layout.building_names)
        n += sizeof(std::vector<std::string>) + texts_bytes(*prog.layout.building_names);
    n += vector_bytes(prog.domains) + vector_bytes(prog.treatments) + vector_bytes(prog.exprs) +
         vector_bytes(prog.outputs) + vector_bytes(prog.symbols);
    for (const auto& dom : prog.domains) n += dom->memory_bytes();
    for (const auto& t : prog.treatments) n += t->memory_bytes();
    n += prog.outputs.size() * sizeof(OutputDef);
    for (const auto& sym : prog.symbols)
        if (sym) n += sym->memory_bytes();
    n += vector_bytes(prog.input_slots) + vector_bytes(prog.plan) + vector_bytes(prog.number_inputs) +
         vector_bytes(prog.string_inputs) + vector_bytes(prog.direct);
    // What score() reads: slots of inputs and outputs, the output plan, the direct plan's rows.
    n += vector_bytes(impl.output_plan);
    if (const PmmlModel::Impl::TreePlan* t = impl.tree.get()) {
        n += sizeof(*t) + t->direct_quick.memory_bytes() + vector_bytes(t->node_row) +
             vector_bytes(t->node_values);
        for (const auto& text : t->node_texts) n += sizeof(text) + 32 /* tree node */ + text_bytes(text);
    }
    n += vector_bytes(impl.class_values) + vector_bytes(impl.class_outputs);
    // Names: the schema, the identity and what describe() reads besides the compiled form.
    n += texts_bytes(impl.schema.inputs) + text_bytes(impl.schema.target) + texts_bytes(impl.schema.outputs);
    const ModelIdentity& id = impl.identity;
    n += text_bytes(id.name) + text_bytes(id.version) + text_bytes(id.description) + text_bytes(id.type) +
         text_bytes(id.data_type);
    const PmmlModel::Impl::About& a = impl.about;
    n += a.texts.heap_bytes();
    return n;
}

/// describe()'s Description, from the compiled document and what load() kept for it.
Description describe_document(const PmmlModel::Impl& impl) {
    const CompiledModel& top = *impl.top;
    const auto& slots = impl.prog.layout.slots;
    const PmmlModel::Impl::About& a = impl.about;
    Description d;
    using About = PmmlModel::Impl::About;
    d.pmml_version = a.text(About::pmml_version);
    d.producer = a.text(About::producer);
    d.model_kind = a.text(About::model_kind);
    d.model_name = a.text(About::model_name);
    d.function = to_string(top.function);
    d.group_field = a.text(About::group_field);
    d.details = top.summary();
    if (top.float_math)  // x-mathContext="float": said in the structure line, results differ from double
        d.details += std::string(d.details.empty() ? "" : "; ") + "float32 arithmetic (x-mathContext)";
    for (std::size_t i = 0; i < impl.schema.inputs.size(); ++i) {
        FieldDescription f;
        f.name = impl.schema.inputs[i];
        const auto& def = slots[static_cast<std::size_t>(impl.prog.input_slots[i])];
        f.data_type = to_string(def.type);
        f.optype = to_string(def.optype);
        // An input's treatment names its DataField.
        if (const Treatment* t = def.treatment(); t && t->domain)
            f.values = t->domain->valid_text().to_vector();
        d.inputs.push_back(std::move(f));
    }
    d.target = impl.schema.target;
    for (const auto& cat : top.categories) d.target_categories.push_back(cat.text);
    for (const PmmlModel::Impl::OutputPlan& op : impl.output_plan) {
        const int slot = op.slot;
        const auto& def = slots[static_cast<std::size_t>(slot)];
        OutputDescription o;
        o.name = std::string(impl.prog.layout.name(slot));
        o.feature = def.output->feature == OutputDef::Feature::family ? std::string(def.output->feature_name)
                                                                      : feature_name(def.output->feature);
        if (def.type != DataType::unknown) o.data_type = to_string(def.type);
        d.outputs.push_back(std::move(o));
    }
    d.nested_models = impl.models.size() - 1;  // every model but the top one is nested in it
    d.has_verification = impl.verification_xml != nullptr;
    d.plan = impl.direct == PmmlModel::Impl::Direct::tree      ? "direct (tree)"
             : impl.direct == PmmlModel::Impl::Direct::classes ? "direct (class probabilities)"
                                                               : "general";
    if (std::string walk = top.walk_summary(); !walk.empty()) d.plan += "; " + walk;
    if (impl.tree && !impl.tree->direct_quick.empty())
        d.plan +=
            ", its " +
            std::to_string(impl.tree->direct_quick.numeric.size() + impl.tree->direct_quick.category.size()) +
            " splits tested at once";
    d.text_bytes = a.text_bytes;
    d.compiled_bytes = a.compiled_bytes;
    return d;
}

}  // namespace

PmmlModelPtr load(std::string_view pmml_text, const LoadOptions& options) {
    auto impl = std::make_unique<PmmlModel::Impl>();
    Limits limits;
    limits.max_depth = options.max_depth;
    Compiler c(pmml_text, impl->prog, limits);
    c.compile_document();

    impl->identity = options.identity;
    impl->identity.type = "pmml";
    if (options.keep_text) impl->text = std::make_unique<const std::string>(pmml_text);
    impl->models = std::move(c.models);
    if (!c.functions.empty()) {
        impl->functions = std::make_unique<std::vector<std::unique_ptr<FunctionDef>>>();
        for (auto& [name, f] : c.functions) impl->functions->push_back(std::move(f));
    }
    impl->top = c.top;
    for (std::size_t i = 0; i < c.input_names.size(); ++i) impl->schema.inputs.push_back(c.input_names[i]);
    impl->schema.target = c.top_target;
    impl->schema.outputs = c.top_output_names;
    impl->input_count = static_cast<std::uint32_t>(impl->prog.input_slots.size());
    for (int slot : c.top_outputs) {
        // Probabilities and untyped predicted values need no conversion: skip the slot machinery.
        const auto& def = impl->prog.layout.slots[static_cast<std::size_t>(slot)];
        using F = OutputDef::Feature;
        bool numeric_type = def.type == DataType::unknown || def.type == DataType::double_;
        using Path = PmmlModel::Impl::Path;
        bool direct = (def.output->feature == F::probability || def.output->feature == F::confidence)
                          ? numeric_type
                          : def.output->feature == F::predicted_value && def.type == DataType::unknown;
        Path path = direct ? Path::eval : Path::slot;
        if (direct && def.output->feature == F::probability && def.output->category >= 0)
            path = Path::probability;
        if (def.output->feature == F::predicted_value && def.output->model) {
            if (def.type == DataType::double_) path = Path::number;
            if (def.type == DataType::string) path = Path::string;
        }
        auto result = static_cast<std::uint32_t>(def.output->model ? def.output->model->result : 0);
        impl->output_plan.push_back({path, def.output->category, result, slot, def.output});
    }
    impl->output_count = static_cast<std::uint32_t>(impl->output_plan.size());
    impl->top_outputs_only = true;
    for (const auto& op : impl->output_plan)
        if ((op.path != PmmlModel::Impl::Path::probability && op.path != PmmlModel::Impl::Path::number &&
             op.path != PmmlModel::Impl::Path::string) ||
            op.result != static_cast<std::uint32_t>(c.top->result))
            impl->top_outputs_only = false;
    share_categories(impl->models);
    plan_direct(*impl);

    PmmlModel::Impl::About& a = impl->about;
    a.texts = TextList({c.pmml_version, c.producer, c.top_kind, c.top_name, c.group_field});
    if (c.verification) {
        std::ostringstream os;
        c.verification.print(os, "", pugi::format_raw);
        impl->verification_xml = std::make_unique<const std::string>(os.str());
    }
    a.text_bytes = pmml_text.size();
    trim(*impl);
    a.compiled_bytes = compiled_bytes(*impl);
    return std::make_shared<const PmmlModel>(std::move(impl));
}

PmmlModelPtr load_file(const std::filesystem::path& path, const LoadOptions& options) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw io_error("cannot open PMML file '" + path.string() + "'");
    std::ostringstream os;
    os << in.rdbuf();
    if (in.bad()) throw io_error("cannot read PMML file '" + path.string() + "'");
    LoadOptions o = options;
    if (o.identity.name.empty()) o.identity.name = path.stem().string();
    return load(os.str(), o);
}

std::string item_list(const std::vector<std::string>& items) {
    std::string out;
    for (const auto& item : items) {
        if (!out.empty()) out.push_back(' ');
        bool quote = item.empty();
        for (char ch : item)
            quote = quote || ch == '"' || ch == '\\' || std::isspace(static_cast<unsigned char>(ch));
        if (!quote) {
            out += item;
            continue;
        }
        out.push_back('"');
        for (char ch : item) {
            if (ch == '"' || ch == '\\') out.push_back('\\');
            out.push_back(ch);
        }
        out.push_back('"');
    }
    return out;
}

// ---- ModelVerification ------------------------------------------------------------------------------

VerificationReport PmmlModel::verify() const {
    VerificationReport rep;
    const Impl& m = *impl_;
    if (!m.verification_xml) return rep;
    rep.present = true;
    pugi::xml_document doc;
    if (!doc.load_buffer(m.verification_xml->data(), m.verification_xml->size())) {
        rep.failures.push_back("cannot re-read the ModelVerification block");
        return rep;
    }
    auto mv = doc.document_element();
    double declared = 0;
    if (parse_double(mv.attribute("recordCount").value(), declared) && declared > 0) {
        if (declared == std::floor(declared) && declared <= 1e15) {
            rep.declared_records = static_cast<std::size_t>(declared);
        } else {
            // No table holds that many rows (or a fraction of one): it can never match.
            rep.declared_records = std::numeric_limits<std::size_t>::max();
            rep.failures.push_back(std::string("recordCount '") + mv.attribute("recordCount").value() +
                                   "' is not a number of records");
        }
    }
    struct Col {
        std::string field, column;
        double precision = 1e-6, zero = 1e-16;  // the spec's defaults
        int input = -1;                         // index in schema.inputs
        int output = -2;                        // -1: target, >= 0: output index
    };
    std::vector<Col> cols;
    auto vfs = Compiler::child(mv, "VerificationFields");
    for (auto vf : Compiler::children(vfs, "VerificationField")) {
        Col col;
        col.field = vf.attribute("field").value();
        col.column = std::string(Compiler::local_name(
            vf.attribute("column").empty() ? col.field : vf.attribute("column").value()));
        parse_double(vf.attribute("precision").value(), col.precision);
        parse_double(vf.attribute("zeroThreshold").value(), col.zero);
        for (std::size_t i = 0; i < m.schema.inputs.size(); ++i)
            if (m.schema.inputs[i] == col.field) col.input = static_cast<int>(i);
        if (!m.schema.target.empty() && col.field == m.schema.target) col.output = -1;
        for (std::size_t i = 0; i < m.schema.outputs.size(); ++i)
            if (m.schema.outputs[i] == col.field) col.output = static_cast<int>(i);
        if (col.input < 0 && col.output < -1) rep.unchecked.push_back(col.field);
        cols.push_back(std::move(col));
    }
    auto table = Compiler::child(mv, "InlineTable");
    std::vector<std::string> cells(cols.size());
    std::vector<bool> present(cols.size());
    std::vector<Value> row(m.schema.inputs.size());
    Prediction p;
    for (auto r : Compiler::children(table, "row")) {
        ++rep.records;
        for (std::size_t j = 0; j < cols.size(); ++j) {
            cells[j].clear();
            present[j] = false;
            for (auto cell : r.children())
                if (cell.type() == pugi::node_element && Compiler::name_of(cell) == cols[j].column) {
                    cells[j] = cell.child_value();
                    present[j] = true;
                }
        }
        std::fill(row.begin(), row.end(), Value::missing());
        for (std::size_t j = 0; j < cols.size(); ++j) {
            if (cols[j].input < 0 || cells[j].empty()) continue;
            double x;
            row[static_cast<std::size_t>(cols[j].input)] =
                parse_double(cells[j], x) ? Value::number(x, cells[j]) : Value::string(cells[j]);
        }
        score(FeatureRow(row.data(), row.size()), p);
        std::size_t before = rep.mismatches.size();
        for (std::size_t j = 0; j < cols.size(); ++j) {
            const Col& col = cols[j];
            if (col.output < -1) continue;
            const Value& v = col.output == -1 ? p.value : p.outputs[static_cast<std::size_t>(col.output)];
            bool ok;
            std::string actual =
                p.ok() ? (v.is_missing() ? std::string() : scorestream::to_string(v)) : "error: " + p.error;
            double e, a;
            if (!p.ok()) {
                ok = false;
            } else if (!present[j] || cells[j].empty()) {
                ok = v.is_missing();  // no expected value: the result must be missing too
            } else if (parse_double(cells[j], e) && as_double(v, a)) {
                // The spec's definitions: values smaller than zeroThreshold in magnitude are zero;
                // otherwise the actual value must lie within precision * |expected| of the expected.
                bool e_zero = std::fabs(e) < col.zero, a_zero = std::fabs(a) < col.zero;
                ok = (e_zero && a_zero) || std::fabs(a - e) <= col.precision * std::fabs(e);
            } else {
                ok = actual == cells[j];
            }
            if (!ok)
                rep.mismatches.push_back({rep.records, col.field, present[j] ? cells[j] : std::string(),
                                          actual, col.precision, col.zero});
        }
        if (rep.mismatches.size() == before) {
            ++rep.passed;
        } else if (rep.failures.size() < 10) {
            const auto& mm = rep.mismatches[before];
            rep.failures.push_back("record " + std::to_string(rep.records) + ": " + mm.field + ": expected " +
                                   (mm.expected.empty() ? "missing" : mm.expected) + ", got " +
                                   (mm.actual.empty() ? "missing" : mm.actual));
        }
    }
    return rep;
}

// ---- factory ------------------------------------------------------------------------------------------

ModelPtr PmmlFactory::create(const ModelDescriptor& descriptor) const {
    LoadOptions o = defaults_;
    o.identity = identity_of(descriptor);
    return load(descriptor.data(), o);
}

ModelPtr PmmlFactory::restore(std::string_view bytes, const ModelIdentity& identity) const {
    LoadOptions o = defaults_;
    o.identity = identity;
    return load(bytes, o);
}

void register_pmml(ModelRegistry& registry) { registry.add(std::make_shared<PmmlFactory>()); }

}  // namespace scorestream::pmml
