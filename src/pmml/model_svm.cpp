// SupportVectorMachineModel: linear, polynomial, radial-basis and sigmoid kernels; the
// SupportVectors representation (a VectorDictionary of dense or sparse vectors shared by the
// machines) and the Coefficients representation (one coefficient per vector field, linear);
// regression, and classification one-against-one (votes; threshold, alternateTargetCategory,
// alternateBinaryTargetCategory) or one-against-all (the smallest value wins, the largest with
// maxWins="true").
//
// Every support vector's kernel value is computed once per record into a work area, whichever
// machines use it (one-against-one models share most vectors between machines); each machine then
// sums coefficient * kernel in document order and adds b (Coefficients absoluteValue) last.

#include "compiler.hpp"
#include "float_math.hpp"

#include <cmath>
#include <cstdio>
#include <type_traits>
#include <unordered_map>

namespace scorestream::pmml::detail {
namespace {

enum class Kernel : std::uint8_t { linear, polynomial, radial_basis, sigmoid };

const char* kernel_name(Kernel k) noexcept {
    switch (k) {
        case Kernel::linear:
            return "linear";
        case Kernel::polynomial:
            return "polynomial";
        case Kernel::radial_basis:
            return "radialBasis";
        case Kernel::sigmoid:
            return "sigmoid";
    }
    return "";
}

class SupportVectorMachineImpl final : public CompiledModel {
public:
    struct Field {
        int slot = -1;
        bool indicator = false;  ///< CategoricalPredictor: 1 when the field equals `value`, else 0
        std::string value;
        double num = 0;
        bool has_num = false;
    };
    struct Machine {
        int target = -1, alternate = -1;  ///< categories (classification)
        double threshold = 0;
        double b = 0;
        std::size_t first = 0, count = 0;  ///< into vec/coef
    };
    Kernel kernel = Kernel::radial_basis;
    double gamma = 1, coef0 = 1, degree = 1;
    bool coefficients_form = false;  ///< svmRepresentation="Coefficients": no vectors, one weight per field
    bool one_against_one = false;
    bool max_wins = false;
    std::vector<Field> fields;
    std::size_t n_vectors = 0;
    std::vector<double> vectors;     ///< n_vectors x fields, row-major
    std::vector<std::uint32_t> vec;  ///< per term: vector index (SupportVectors form)
    std::vector<double> coef;        ///< per term
    std::vector<Machine> machines;
    std::size_t nc = 0;  ///< categories the machines name
    int work = -1;       ///< fields + n_vectors + 2 * nc doubles

    void finalize(Layout& layout) override {
        work = layout.add_work(static_cast<int>(fields.size() + n_vectors + 2 * nc));
    }

    std::size_t memory_bytes() const override {
        return own_bytes(*this) + fields.capacity() * sizeof(Field) + vectors.capacity() * sizeof(double) +
               vec.capacity() * sizeof(std::uint32_t) + coef.capacity() * sizeof(double) +
               machines.capacity() * sizeof(Machine);
    }

    std::string summary() const override {
        char params[96] = "";
        if (kernel == Kernel::polynomial)
            std::snprintf(params, sizeof params, " (gamma %g, coef0 %g, degree %g)", gamma, coef0, degree);
        else if (kernel == Kernel::radial_basis)
            std::snprintf(params, sizeof params, " (gamma %g)", gamma);
        else if (kernel == Kernel::sigmoid)
            std::snprintf(params, sizeof params, " (gamma %g, coef0 %g)", gamma, coef0);
        std::string s = std::string(kernel_name(kernel)) + " kernel" + params;
        s +=
            coefficients_form ? ", coefficients form" : ", " + std::to_string(n_vectors) + " support vectors";
        s += " over " + std::to_string(fields.size()) + " fields, " + std::to_string(machines.size()) +
             (machines.size() == 1 ? " machine" : " machines");
        if (classification()) s += one_against_one ? ", one-against-one" : ", one-against-all";
        return s;
    }

    /// K(x, y) in T (see float_math.hpp); x holds T values.
    template <class T>
    T kernel_value(const double* x, const double* y, std::size_t n) const noexcept {
        if (kernel == Kernel::radial_basis) {
            T d = 0;
            for (std::size_t i = 0; i < n; ++i) {
                T z = fm::num<T>(x[i]) - fm::num<T>(y[i]);
                d += z * z;
            }
            return fm::exp(-fm::num<T>(gamma) * d);
        }
        T dot = 0;
        for (std::size_t i = 0; i < n; ++i) dot += fm::num<T>(x[i]) * fm::num<T>(y[i]);
        switch (kernel) {
            case Kernel::linear:
                return dot;
            case Kernel::polynomial:
                return fm::pow(fm::num<T>(gamma) * dot + fm::num<T>(coef0), fm::num<T>(degree));
            case Kernel::sigmoid:
                return fm::tanh(fm::num<T>(gamma) * dot + fm::num<T>(coef0));
            case Kernel::radial_basis:
                break;
        }
        return dot;
    }

    /// False when an input is missing (no prediction).
    bool load(Ctx& ctx, double* x) const {
        for (std::size_t i = 0; i < fields.size(); ++i) {
            const Field& f = fields[i];
            const Value& v = ctx.get(f.slot);
            if (v.is_missing()) return false;
            if (f.indicator) {
                bool eq = v.is_number() && f.has_num ? v.as_number() == f.num : v.text() == f.value;
                x[i] = eq ? 1.0 : 0.0;
            } else if (!as_double(v, x[i])) {
                fail("SVM input '" + std::string(ctx.prog->layout.name(f.slot)) + "' is not a number");
            }
        }
        return true;
    }

    /// The machine's decision value in T; x and k hold T values.
    template <class T>
    T machine_value(const Machine& m, const double* x, const double* k) const noexcept {
        T s = 0;
        if (coefficients_form) {
            for (std::size_t i = 0; i < m.count; ++i) s += fm::num<T>(coef[m.first + i]) * fm::num<T>(x[i]);
        } else {
            for (std::size_t i = m.first; i < m.first + m.count; ++i)
                s += fm::num<T>(coef[i]) * fm::num<T>(k[vec[i]]);
        }
        return s + fm::num<T>(m.b);
    }

protected:
    void evaluate(Ctx& ctx, ModelResult& r) const override {
        if (!load(ctx, ctx.work(work))) return;
        if (float_math)
            evaluate_float(ctx, r);
        else
            evaluate_as<double>(ctx, r);
    }
    /// The float path out of line, so the double path compiles as if it were alone.
    [[gnu::noinline]] void evaluate_float(Ctx& ctx, ModelResult& r) const { evaluate_as<float>(ctx, r); }

private:
    /// The model in T: double, or float for x-mathContext="float" (inputs, kernel values, sums and
    /// vote shares rounded to float; votes are counted exactly).
    template <class T>
    void evaluate_as(Ctx& ctx, ModelResult& r) const {
        std::size_t nf = fields.size();
        double* x = ctx.work(work);  // the inputs, as load() left them
        double* k = x + nf;
        if (!std::is_same<T, double>::value)
            for (std::size_t i = 0; i < nf; ++i) x[i] = static_cast<double>(fm::num<T>(x[i]));
        for (std::size_t j = 0; j < n_vectors; ++j)
            k[j] = static_cast<double>(kernel_value<T>(x, vectors.data() + j * nf, nf));
        if (!classification()) {
            r.value = Value::number(static_cast<double>(machine_value<T>(machines[0], x, k)));
            return;
        }
        double* score = k + n_vectors;  // per category: votes, or the one-against-all value
        double* order = score + nc;     // per category: when it got its first vote
        if (one_against_one) {
            std::fill(score, score + nc, 0.0);
            std::fill(order, order + nc, HUGE_VAL);
            double total = 0;
            for (std::size_t i = 0; i < machines.size(); ++i) {
                const Machine& m = machines[i];
                T y = machine_value<T>(m, x, k);
                auto winner = static_cast<std::size_t>(y < fm::num<T>(m.threshold) ? m.target : m.alternate);
                score[winner] += 1.0;
                if (order[winner] == HUGE_VAL) order[winner] = static_cast<double>(i);
                total += 1.0;
            }
            int best = -1;
            for (std::size_t c = 0; c < nc; ++c) {
                r.probs[c] = static_cast<double>(fm::num<T>(score[c]) / fm::num<T>(total));
                if (score[c] == 0) continue;
                auto b = static_cast<std::size_t>(best);
                if (best < 0 || score[c] > score[b] || (score[c] == score[b] && order[c] < order[b]))
                    best = static_cast<int>(c);
            }
            r.has_probs = true;
            r.category = best;
            r.value = category_value(best);
            return;
        }
        int best = -1;
        T best_value = 0;
        for (const Machine& m : machines) {
            T y = machine_value<T>(m, x, k);
            if (best < 0 || (max_wins ? y > best_value : y < best_value)) {
                best = m.target;
                best_value = y;
            }
        }
        r.category = best;
        r.value = category_value(best);
    }
};

/// The values of a VectorInstance (dense Array or REAL-SparseArray / INT-SparseArray), `n` long.
std::vector<double> read_vector(Compiler& c, pugi::xml_node vi, std::size_t n) {
    std::vector<double> out(n, 0.0);
    pugi::xml_node sparse;
    for (auto k : vi.children()) {
        if (k.type() != pugi::node_element) continue;
        auto kn = Compiler::name_of(k);
        if (kn == "REAL-SparseArray" || kn == "INT-SparseArray") sparse = k;
        if (kn == "Array" || kn == "REAL-ARRAY" || kn == "NUM-ARRAY") {
            auto items = c.array_items(k);
            if (items.size() != n)
                c.invalid(k, "the vector has " + std::to_string(items.size()) + " values for " +
                                 std::to_string(n) + " vector fields");
            for (std::size_t i = 0; i < n; ++i)
                if (!parse_double(items[i], out[i]))
                    c.invalid(k, "vector value '" + items[i] + "' is not a number");
            return out;
        }
    }
    if (!sparse) c.parse_fail(vi, "VectorInstance without an Array or a REAL-SparseArray");
    if (c.has_attr(sparse, "n") && c.integer(sparse, "n", 0) != static_cast<long>(n))
        c.invalid(sparse, "the sparse array has n=" + std::string(c.attr(sparse, "n")) + " for " +
                              std::to_string(n) + " vector fields");
    double fill = c.number(sparse, "defaultValue", 0.0);
    std::fill(out.begin(), out.end(), fill);
    auto indices = Compiler::child(sparse, "Indices");
    pugi::xml_node entries;
    for (auto k : sparse.children())
        if (k.type() == pugi::node_element &&
            (Compiler::name_of(k) == "REAL-Entries" || Compiler::name_of(k) == "INT-Entries"))
            entries = k;
    auto idx = indices ? c.array_items(indices) : std::vector<std::string>{};
    auto val = entries ? c.array_items(entries) : std::vector<std::string>{};
    if (idx.size() != val.size())
        c.invalid(sparse, "the sparse array has " + std::to_string(idx.size()) + " indices and " +
                              std::to_string(val.size()) + " entries");
    for (std::size_t i = 0; i < idx.size(); ++i) {
        double at, x;
        if (!parse_double(idx[i], at) || at != std::floor(at) || at < 1 || at > static_cast<double>(n))
            c.invalid(indices, "sparse index '" + idx[i] + "' is outside 1.." + std::to_string(n));
        if (!parse_double(val[i], x)) c.invalid(entries, "sparse entry '" + val[i] + "' is not a number");
        out[static_cast<std::size_t>(at) - 1] = x;
    }
    return out;
}

}  // namespace

std::unique_ptr<CompiledModel> compile_support_vector_machine_model(ModelContext& mc) {
    auto m = std::make_unique<SupportVectorMachineImpl>();
    auto& c = mc.c;
    c.init_model(*m, mc);
    auto n = mc.node;
    auto repr = c.attr(n, "svmRepresentation");
    if (repr.empty() || repr == "SupportVectors")
        m->coefficients_form = false;
    else if (repr == "Coefficients")
        m->coefficients_form = true;
    else
        c.invalid(n, "unknown svmRepresentation '" + std::string(repr) + "'");
    m->max_wins = c.attr(n, "maxWins") == "true";
    double model_threshold = c.number(n, "threshold", 0.0);

    // the kernel
    pugi::xml_node kn;
    for (auto k : n.children())
        if (k.type() == pugi::node_element) {
            auto name = Compiler::name_of(k);
            if (name == "LinearKernelType" || name == "PolynomialKernelType" ||
                name == "RadialBasisKernelType" || name == "SigmoidKernelType") {
                kn = k;
                break;
            }
        }
    if (!kn) c.parse_fail(n, "SupportVectorMachineModel without a kernel type");
    auto kname = Compiler::name_of(kn);
    if (kname == "LinearKernelType") {
        m->kernel = Kernel::linear;
    } else if (kname == "PolynomialKernelType") {
        m->kernel = Kernel::polynomial;
        m->gamma = c.number(kn, "gamma", 1.0);
        m->coef0 = c.number(kn, "coef0", 1.0);
        m->degree = c.number(kn, "degree", 1.0);
    } else if (kname == "RadialBasisKernelType") {
        m->kernel = Kernel::radial_basis;
        m->gamma = c.number(kn, "gamma", 1.0);
    } else {
        m->kernel = Kernel::sigmoid;
        m->gamma = c.number(kn, "gamma", 1.0);
        m->coef0 = c.number(kn, "coef0", 1.0);
    }
    if (m->coefficients_form && m->kernel != Kernel::linear)
        c.invalid(n, "svmRepresentation=\"Coefficients\" needs a LinearKernelType");

    // the vector fields and the vectors
    auto dict = Compiler::child(n, "VectorDictionary");
    if (!dict) c.parse_fail(n, "SupportVectorMachineModel without a VectorDictionary");
    auto vfs = Compiler::child(dict, "VectorFields");
    if (!vfs) c.parse_fail(dict, "VectorDictionary without VectorFields");
    for (auto k : vfs.children()) {
        if (k.type() != pugi::node_element) continue;
        auto name = Compiler::name_of(k);
        SupportVectorMachineImpl::Field f;
        if (name == "FieldRef") {
            f.slot = c.resolve_slot(mc.scope, c.required(k, "field"), k);
        } else if (name == "CategoricalPredictor") {
            f.slot = c.resolve_slot(mc.scope, c.required(k, "name"), k);
            f.indicator = true;
            f.value = std::string(c.required(k, "value"));
            f.has_num = c.slot_type(f.slot) != DataType::string && parse_double(f.value, f.num);
            if (c.number(k, "coefficient", 1.0) != 1.0)
                c.invalid(k, "a CategoricalPredictor among VectorFields needs coefficient 1");
        } else if (name == "Extension") {
            continue;
        } else {
            c.invalid(k, "unexpected <" + std::string(name) + "> in VectorFields");
        }
        m->fields.push_back(std::move(f));
    }
    if (m->fields.empty()) c.parse_fail(vfs, "VectorFields without a field");
    std::size_t nf = m->fields.size();
    std::unordered_map<std::string, std::uint32_t> ids;
    for (auto vi : Compiler::children(dict, "VectorInstance")) {
        std::string id(c.required(vi, "id"));
        if (ids.count(id)) c.invalid(vi, "vector id '" + id + "' is used twice");
        auto values = read_vector(c, vi, nf);
        ids[id] = static_cast<std::uint32_t>(m->n_vectors++);
        m->vectors.insert(m->vectors.end(), values.begin(), values.end());
    }

    // the machines
    auto machine_nodes = Compiler::children(n, "SupportVectorMachine");
    if (machine_nodes.empty()) c.parse_fail(n, "SupportVectorMachineModel without a SupportVectorMachine");
    auto method = c.attr(n, "classificationMethod");
    bool alt_binary = c.has_attr(n, "alternateBinaryTargetCategory");
    if (method == "OneAgainstOne")
        m->one_against_one = true;
    else if (method == "OneAgainstAll")
        m->one_against_one = false;
    else if (!method.empty())
        c.invalid(n, "unknown classificationMethod '" + std::string(method) + "'");
    else  // producers often omit it: one-against-one when the machines name two categories
        m->one_against_one = alt_binary || c.has_attr(machine_nodes[0], "alternateTargetCategory");
    if (!m->classification() && machine_nodes.size() != 1)
        c.invalid(n, "a regression SupportVectorMachineModel needs exactly one SupportVectorMachine");
    std::vector<std::uint8_t> used(m->n_vectors, 0);
    for (auto sm : machine_nodes) {
        SupportVectorMachineImpl::Machine mach;
        if (m->classification()) {
            mach.target = m->intern_category(c.required(sm, "targetCategory"));
            if (m->one_against_one) {
                if (c.has_attr(sm, "alternateTargetCategory"))
                    mach.alternate = m->intern_category(c.attr(sm, "alternateTargetCategory"));
                else if (alt_binary && machine_nodes.size() == 1)
                    mach.alternate = m->intern_category(c.attr(n, "alternateBinaryTargetCategory"));
                else
                    c.parse_fail(sm, "a one-against-one machine needs an alternateTargetCategory");
            }
        }
        mach.threshold = c.number(sm, "threshold", model_threshold);
        auto coefs = Compiler::child(sm, "Coefficients");
        if (!coefs) c.parse_fail(sm, "SupportVectorMachine without Coefficients");
        mach.b = c.number(coefs, "absoluteValue", 0.0);
        auto cs = Compiler::children(coefs, "Coefficient");
        if (c.has_attr(coefs, "numberOfCoefficients") &&
            c.integer(coefs, "numberOfCoefficients", 0) != static_cast<long>(cs.size()))
            c.invalid(coefs, "numberOfCoefficients says " +
                                 std::string(c.attr(coefs, "numberOfCoefficients")) + " but there are " +
                                 std::to_string(cs.size()));
        mach.first = m->coef.size();
        mach.count = cs.size();
        if (m->coefficients_form) {
            if (cs.size() != nf)
                c.invalid(coefs, "the Coefficients form needs one Coefficient per vector field (" +
                                     std::to_string(nf) + ")");
            for (auto co : cs) m->coef.push_back(c.number(co, "value", 0.0));
        } else {
            auto svs = Compiler::child(sm, "SupportVectors");
            auto list = svs ? Compiler::children(svs, "SupportVector") : std::vector<pugi::xml_node>{};
            if (list.size() != cs.size())
                c.invalid(sm, "the machine has " + std::to_string(list.size()) + " support vectors and " +
                                  std::to_string(cs.size()) + " coefficients");
            for (std::size_t i = 0; i < cs.size(); ++i) {
                std::string id(c.required(list[i], "vectorId"));
                auto it = ids.find(id);
                if (it == ids.end())
                    c.invalid(list[i], "vectorId '" + id + "' is not in the VectorDictionary");
                m->vec.push_back(it->second);
                used[it->second] = 1;
                m->coef.push_back(c.number(cs[i], "value", 0.0));
            }
        }
        m->machines.push_back(mach);
    }
    // Keep only the vectors some machine uses (their kernel values are computed for every record).
    if (!m->coefficients_form) {
        std::vector<std::uint32_t> remap(m->n_vectors, 0);
        std::vector<double> kept;
        std::uint32_t next = 0;
        for (std::size_t j = 0; j < m->n_vectors; ++j) {
            if (!used[j]) continue;
            remap[j] = next++;
            kept.insert(kept.end(), m->vectors.begin() + static_cast<std::ptrdiff_t>(j * nf),
                        m->vectors.begin() + static_cast<std::ptrdiff_t>((j + 1) * nf));
        }
        for (auto& v : m->vec) v = remap[v];
        m->vectors = std::move(kept);
        m->n_vectors = next;
    } else {
        m->vectors.clear();
        m->n_vectors = 0;
    }
    m->nc = m->categories.size();
    return m;
}

}  // namespace scorestream::pmml::detail
