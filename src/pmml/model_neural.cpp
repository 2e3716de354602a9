// NeuralNetwork: NeuralInputs (with their derived fields), layers of neurons with every activation
// function of the spec (radialBasis included), layer normalization (none, simplemax, softmax), and
// NeuralOutputs mapped back to the target (NormDiscrete for classes, FieldRef or NormContinuous for
// regression). Neurons are flattened into arrays; values live in one work area per record.

#include "compiler.hpp"
#include "float_math.hpp"

#include <unordered_map>

namespace scorestream::pmml::detail {
namespace {

enum class Activation : std::uint8_t {
    threshold,
    logistic,
    tanh,
    identity,
    exponential,
    reciprocal,
    square,
    gauss,
    sine,
    cosine,
    elliott,
    arctan,
    rectifier,
    radial_basis
};
enum class LayerNorm : std::uint8_t { none, simplemax, softmax };

Activation parse_activation(Compiler& c, pugi::xml_node n, std::string_view a) {
    if (a == "threshold") return Activation::threshold;
    if (a == "logistic") return Activation::logistic;
    if (a == "tanh") return Activation::tanh;
    if (a == "identity") return Activation::identity;
    if (a == "exponential") return Activation::exponential;
    if (a == "reciprocal") return Activation::reciprocal;
    if (a == "square") return Activation::square;
    if (a == "Gauss") return Activation::gauss;
    if (a == "sine") return Activation::sine;
    if (a == "cosine") return Activation::cosine;
    if (a == "Elliott") return Activation::elliott;
    if (a == "arctan") return Activation::arctan;
    if (a == "rectifier") return Activation::rectifier;
    if (a == "radialBasis") return Activation::radial_basis;
    c.invalid(n, "unknown activationFunction '" + std::string(a) + "'");
}

LayerNorm parse_layer_norm(Compiler& c, pugi::xml_node n, std::string_view a) {
    if (a.empty() || a == "none") return LayerNorm::none;
    if (a == "simplemax") return LayerNorm::simplemax;
    if (a == "softmax") return LayerNorm::softmax;
    c.invalid(n, "unknown normalizationMethod '" + std::string(a) + "'");
}

class NeuralNetworkImpl final : public FloatOrDouble<NeuralNetworkImpl> {
public:
    struct Neuron {
        double bias = 0.0;
        double width = 0.0, altitude = 1.0;
        int first_con = 0, n_cons = 0;
    };
    struct Layer {
        Activation activation = Activation::logistic;
        LayerNorm norm = LayerNorm::none;
        double threshold = 0.0;
        int first = 0, count = 0;  ///< neurons, whose values are at inputs + first ...
    };
    struct Output {
        int neuron = -1;  ///< index into the value area
        int category = -1;
        std::vector<double> orig, norm;  ///< NormContinuous to invert (regression)
    };

    std::vector<ExprPtr> inputs;
    std::vector<Neuron> neurons;
    std::vector<std::pair<int, double>> cons;  ///< (value index, weight)
    std::vector<Layer> layers;
    std::vector<Output> outputs;
    int work = -1;

    /// The neuron's activation in T (see float_math.hpp).
    template <class T>
    static T activate(const Layer& l, const Neuron& n, T z) {
        const T one = 1;
        switch (l.activation) {
            case Activation::threshold:
                return z > fm::num<T>(l.threshold) ? one : T(0);
            case Activation::logistic:
                return one / (one + fm::exp(-z));
            case Activation::tanh:
                return fm::tanh(z);
            case Activation::identity:
                return z;
            case Activation::exponential:
                return fm::exp(z);
            case Activation::reciprocal:
                return one / z;
            case Activation::square:
                return z * z;
            case Activation::gauss:
                return fm::exp(-(z * z));
            case Activation::sine:
                return fm::sin(z);
            case Activation::cosine:
                return fm::cos(z);
            case Activation::elliott:
                return z / (one + std::fabs(z));
            case Activation::arctan:
                return fm::num<T>(2.0) * fm::atan(z) / fm::num<T>(M_PI);
            case Activation::rectifier:
                return z > 0 ? z : T(0);
            case Activation::radial_basis:
                return fm::exp(fm::num<T>(static_cast<double>(n.n_cons)) * fm::log(fm::num<T>(n.altitude)) -
                               z);
        }
        return z;
    }

    void finalize(Layout& layout) override {
        work = layout.add_work(static_cast<int>(inputs.size() + neurons.size()));
    }

    std::size_t memory_bytes() const override {
        return own_bytes(*this) + neurons.capacity() * sizeof(Neuron) +
               cons.capacity() * sizeof(std::pair<int, double>) + layers.capacity() * sizeof(Layer) +
               outputs.capacity() * sizeof(Output) + inputs.size() * 64;
    }

protected:
    friend class FloatOrDouble<NeuralNetworkImpl>;

private:
    /// The network in T: double, or float for x-mathContext="float". The value area holds T values.
    template <class T>
    void evaluate_as(Ctx& ctx, ModelResult& r) const {
        double* v = ctx.work(work);
        for (std::size_t i = 0; i < inputs.size(); ++i) {
            Value x = inputs[i]->eval(ctx);
            if (x.is_missing() || !as_double(x, v[i])) return;
            v[i] = static_cast<double>(fm::num<T>(v[i]));
        }
        std::size_t base = inputs.size();
        for (const auto& l : layers) {
            for (int k = l.first; k < l.first + l.count; ++k) {
                const Neuron& n = neurons[static_cast<std::size_t>(k)];
                T z = 0;
                const auto* con = cons.data() + n.first_con;
                const auto* end = con + n.n_cons;
                if (l.activation == Activation::radial_basis) {
                    for (; con != end; ++con) {
                        T d = fm::num<T>(v[con->first]) - fm::num<T>(con->second);
                        z += d * d;
                    }
                    T w = fm::num<T>(n.width);
                    z /= fm::num<T>(2.0) * w * w;
                } else {
                    // Connections first, then the bias: the producers' summation order.
                    for (; con != end; ++con) z += fm::num<T>(v[con->first]) * fm::num<T>(con->second);
                    z += fm::num<T>(n.bias);
                }
                v[base + static_cast<std::size_t>(k)] = static_cast<double>(activate<T>(l, n, z));
            }
            double* out = v + base + l.first;
            auto count = static_cast<std::size_t>(l.count);
            if (l.norm == LayerNorm::softmax) {
                T sum = 0;
                for (std::size_t i = 0; i < count; ++i) {
                    T e = fm::exp(fm::num<T>(out[i]));
                    out[i] = static_cast<double>(e);
                    sum += e;
                }
                for (std::size_t i = 0; i < count; ++i)
                    out[i] = static_cast<double>(fm::num<T>(out[i]) / sum);
            } else if (l.norm == LayerNorm::simplemax) {
                T sum = 0;
                for (std::size_t i = 0; i < count; ++i) sum += fm::num<T>(out[i]);
                for (std::size_t i = 0; i < count; ++i)
                    out[i] = static_cast<double>(fm::num<T>(out[i]) / sum);
            }
        }
        if (!classification()) {
            const Output& o = outputs[0];
            T y = fm::num<T>(v[o.neuron]);
            if (!o.orig.empty()) {
                // invert the piecewise-linear NormContinuous
                std::size_t n = o.norm.size(), i = 1;
                if (y < fm::num<T>(o.norm[0]))
                    i = 1;
                else if (y > fm::num<T>(o.norm[n - 1]))
                    i = n - 1;
                else
                    while (i < n - 1 && y > fm::num<T>(o.norm[i])) ++i;
                T orig0 = fm::num<T>(o.orig[i - 1]), orig1 = fm::num<T>(o.orig[i]);
                T norm0 = fm::num<T>(o.norm[i - 1]), norm1 = fm::num<T>(o.norm[i]);
                y = orig0 + (y - norm0) * (orig1 - orig0) / (norm1 - norm0);
            }
            r.value = Value::number(static_cast<double>(y));
            return;
        }
        for (const auto& o : outputs) r.probs[static_cast<std::size_t>(o.category)] = v[o.neuron];
        r.has_probs = true;
        pick_best(r);
    }
};

}  // namespace

std::unique_ptr<CompiledModel> compile_neural_network(ModelContext& mc) {
    auto m = std::make_unique<NeuralNetworkImpl>();
    auto& c = mc.c;
    c.init_model(*m, mc);
    auto n = mc.node;
    std::unordered_map<std::string, int> index;  // neuron/input id -> value index
    auto ins = Compiler::child(n, "NeuralInputs");
    if (!ins) c.parse_fail(n, "NeuralNetwork without NeuralInputs");
    for (auto ni : Compiler::children(ins, "NeuralInput")) {
        std::string id(c.required(ni, "id"));
        auto df = Compiler::child(ni, "DerivedField");
        if (!df) c.parse_fail(ni, "NeuralInput without a DerivedField");
        if (index.count(id)) c.invalid(ni, "neuron id '" + id + "' is used twice");
        index[id] = static_cast<int>(m->inputs.size());
        m->inputs.push_back(c.expression_child(df, mc.scope, 1));
    }
    Activation net_act = parse_activation(
        c, n, c.has_attr(n, "activationFunction") ? c.attr(n, "activationFunction") : "logistic");
    LayerNorm net_norm = parse_layer_norm(c, n, c.attr(n, "normalizationMethod"));
    double net_threshold = c.number(n, "threshold", 0.0);
    double net_width = c.number(n, "width", nan_v), net_altitude = c.number(n, "altitude", 1.0);
    auto base = static_cast<int>(m->inputs.size());
    std::vector<std::tuple<int, std::string, pugi::xml_node>> pending;  // neuron, from id, Con
    for (auto ln : Compiler::children(n, "NeuralLayer")) {
        NeuralNetworkImpl::Layer layer;
        layer.activation = c.has_attr(ln, "activationFunction")
                               ? parse_activation(c, ln, c.attr(ln, "activationFunction"))
                               : net_act;
        layer.norm = c.has_attr(ln, "normalizationMethod")
                         ? parse_layer_norm(c, ln, c.attr(ln, "normalizationMethod"))
                         : net_norm;
        layer.threshold = c.number(ln, "threshold", net_threshold);
        double width = c.number(ln, "width", net_width), altitude = c.number(ln, "altitude", net_altitude);
        layer.first = static_cast<int>(m->neurons.size());
        for (auto ne : Compiler::children(ln, "Neuron")) {
            std::string id(c.required(ne, "id"));
            NeuralNetworkImpl::Neuron neuron;
            neuron.bias = c.number(ne, "bias", 0.0);
            neuron.width = c.number(ne, "width", width);
            neuron.altitude = c.number(ne, "altitude", altitude);
            if (layer.activation == Activation::radial_basis && !(neuron.width > 0))
                c.invalid(ne, "radialBasis neurons need a positive width");
            neuron.first_con = static_cast<int>(m->cons.size());
            for (auto con : Compiler::children(ne, "Con")) {
                std::string from(c.required(con, "from"));
                auto it = index.find(from);
                if (it == index.end())
                    c.invalid(con, "connection from unknown neuron '" + from +
                                       "' (inputs and earlier layers only)");
                m->cons.emplace_back(it->second, c.required_number(con, "weight"));
            }
            neuron.n_cons = static_cast<int>(m->cons.size()) - neuron.first_con;
            if (index.count(id)) c.invalid(ne, "neuron id '" + id + "' is used twice");
            index[id] = base + static_cast<int>(m->neurons.size());
            m->neurons.push_back(neuron);
        }
        layer.count = static_cast<int>(m->neurons.size()) - layer.first;
        // Connections may only come from earlier layers: ids of this layer were added after its Cons.
        m->layers.push_back(layer);
    }
    if (m->layers.empty()) c.parse_fail(n, "NeuralNetwork without a NeuralLayer");
    auto outs = Compiler::child(n, "NeuralOutputs");
    if (!outs) c.parse_fail(n, "NeuralNetwork without NeuralOutputs");
    for (auto no : Compiler::children(outs, "NeuralOutput")) {
        std::string id(c.required(no, "outputNeuron"));
        auto it = index.find(id);
        if (it == index.end() || it->second < base)
            c.invalid(no, "outputNeuron '" + id + "' is not a neuron");
        NeuralNetworkImpl::Output o;
        o.neuron = it->second;
        auto df = Compiler::child(no, "DerivedField");
        if (!df) c.parse_fail(no, "NeuralOutput without a DerivedField");
        pugi::xml_node e;
        for (auto k : df.children())
            if (k.type() == pugi::node_element && Compiler::is_expression(Compiler::name_of(k))) {
                e = k;
                break;
            }
        if (!e) c.parse_fail(df, "NeuralOutput DerivedField without an expression");
        auto en = Compiler::name_of(e);
        if (m->classification()) {
            if (en != "NormDiscrete")
                c.unsupported(e, "classification NeuralOutput must be a NormDiscrete of the target");
            o.category = m->intern_category(c.required(e, "value"));
        } else if (en == "NormContinuous") {
            for (auto ln : Compiler::children(e, "LinearNorm")) {
                o.orig.push_back(c.required_number(ln, "orig"));
                o.norm.push_back(c.required_number(ln, "norm"));
            }
            if (o.orig.size() < 2) c.invalid(e, "NormContinuous needs at least two LinearNorm elements");
            for (std::size_t i = 1; i < o.norm.size(); ++i)
                if (!(o.norm[i] > o.norm[i - 1])) c.invalid(e, "LinearNorm norm values must increase");
        } else if (en != "FieldRef") {
            c.unsupported(e, "regression NeuralOutput must be a FieldRef or NormContinuous of the target");
        }
        m->outputs.push_back(std::move(o));
    }
    if (m->outputs.empty()) c.parse_fail(outs, "NeuralOutputs without a NeuralOutput");
    if (!m->classification() && m->outputs.size() != 1)
        c.unsupported(outs, "regression networks with more than one output are not supported");
    return m;
}

}  // namespace scorestream::pmml::detail
