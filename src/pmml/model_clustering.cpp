// ClusteringModel (center-based): every ComparisonMeasure of the spec (euclidean, squaredEuclidean,
// chebychev, cityBlock, minkowski as distances; simpleMatching, jaccard, tanimoto, binarySimilarity
// as similarities), the compare functions absDiff, gaussSim, delta, equal and table, field weights,
// and MissingValueWeights. Cluster centers are one flat row-major array; the affinity to every
// cluster is computed into the result (ModelResult::probs) for the affinity output features.
//
// Arithmetic follows the spec's formulas term by term in ClusteringField order: for the sum
// measures D = (adjustment * sum_i w_i * c(x_i, y_i)^p)^(1/p), for chebychev
// D = adjustment * max_i w_i * c(x_i, y_i), where adjustment = sum_i q_i / sum_i q_i [x_i present]
// (q: the missing-value weights, 1 when none are given) and missing inputs are left out.

#include "comparison.hpp"
#include "compiler.hpp"
#include "float_math.hpp"

#include <cmath>
#include <limits>

namespace scorestream::pmml::detail {
namespace {

class ClusteringModelImpl final : public FloatOrDouble<ClusteringModelImpl> {
public:
    struct Field {
        int slot = -1;
        double weight = 1.0;
        double missing_weight = 1.0;  ///< q_i of MissingValueWeights
        Compare compare = Compare::abs_diff;
        double scale = 1.0;  ///< gaussSim similarityScale
        /// table: the field's listed values (matrix row/column order) and the square matrix.
        std::vector<std::string> table_values;
        std::vector<double> table;
        bool text = false;  ///< centers of this field are strings (delta/equal/table on categories)
    };
    ComparisonMeasure cmp;
    std::vector<Field> fields;
    std::size_t k = 0;                     ///< clusters
    std::vector<double> centers;           ///< k x fields, row-major
    std::vector<std::string> center_text;  ///< k x fields for text fields (empty strings elsewhere)
    std::vector<std::string> ids;          ///< entity id of every cluster (its id, or 1-based index)
    int work = -1;                         ///< per field: numeric value, then a present flag

    void finalize(Layout& layout) override { work = layout.add_work(2 * static_cast<int>(fields.size())); }

    std::size_t memory_bytes() const override {
        std::size_t n = own_bytes(*this) + fields.capacity() * sizeof(Field) +
                        centers.capacity() * sizeof(double) + center_text.capacity() * sizeof(std::string) +
                        ids.capacity() * sizeof(std::string);
        for (const auto& f : fields) n += f.table.capacity() * sizeof(double);
        return n;
    }

    /// affinity, clusterAffinity, entityAffinity (of the cluster `value` names, else of the winner)
    /// and clusterId (the winner's 1-based index).
    bool parse_output(Compiler& cc, const pugi::xml_node& of, OutputDef& o) override {
        auto f = cc.attr(of, "feature");
        bool affinity = f == "affinity" || f == "clusterAffinity" || f == "entityAffinity";
        if (!affinity && f != "clusterId") return false;
        if (cc.integer(of, "rank", 1) != 1) cc.unsupported(of, "clustering outputs of a rank other than 1");
        o.param = affinity ? 1 : 0;
        o.param2 = -1;
        if (affinity && cc.has_attr(of, "value")) {
            o.param2 = find_category(cc.attr(of, "value"));
            if (o.param2 < 0)
                cc.invalid(of,
                           "affinity of '" + std::string(cc.attr(of, "value")) + "', which is not a cluster");
        }
        o.feature_name = affinity ? "affinity" : "clusterId";
        return true;
    }

    Value family_output(Ctx& /*ctx*/, const OutputDef& o, const ModelResult& r) const override {
        if (r.category < 0) return Value::missing();
        if (o.param == 0) return Value::number(static_cast<double>(r.category + 1));
        int c = o.param2 >= 0 ? o.param2 : r.category;
        return Value::number(r.probs[static_cast<std::size_t>(c)]);
    }

    std::string summary() const override {
        return std::to_string(k) + " clusters, " + measure_name(cmp.measure) +
               (cmp.similarity() ? " similarity" : " distance") + " over " + std::to_string(fields.size()) +
               " fields";
    }

    /// The compare function c(x, y) of field f against the center value of cluster j, in T (x is a
    /// T value).
    template <class T>
    T compare(const Field& f, std::size_t field, std::size_t j, T x, const Value& v) const {
        std::size_t at = j * fields.size() + field;
        if (!f.text) return compare_numbers(f.compare, x, fm::num<T>(centers[at]), fm::num<T>(f.scale));
        if (f.compare == Compare::table) {
            int row = index_in(f, text_of(v));
            int col = index_in(f, center_text[at]);
            if (row < 0 || col < 0) return std::numeric_limits<T>::quiet_NaN();
            return fm::num<T>(f.table[static_cast<std::size_t>(row) * f.table_values.size() +
                                      static_cast<std::size_t>(col)]);
        }
        // delta or equal on categories
        bool same = (v.is_string() || v.is_number()) && text_of(v) == center_text[at];
        return (same == (f.compare == Compare::equal)) ? T(1) : T(0);
    }

    static std::string_view text_of(const Value& v) { return v.text(); }
    static int index_in(const Field& f, std::string_view t) {
        for (std::size_t i = 0; i < f.table_values.size(); ++i)
            if (f.table_values[i] == t) return static_cast<int>(i);
        return -1;
    }

protected:
    friend class FloatOrDouble<ClusteringModelImpl>;

    /// The model in T: double, or float for x-mathContext="float" (inputs, centers, weights, every
    /// term, sum, power and root in float; the similarity counts are exact in either).
    template <class T>
    void evaluate_as(Ctx& ctx, ModelResult& r) const {
        std::size_t n = fields.size();
        double* xs = ctx.work(work);
        double* present = xs + n;
        T q_all = 0, q_present = 0;
        bool any = false;
        for (std::size_t i = 0; i < n; ++i) {
            const Field& f = fields[i];
            const Value& v = ctx.get(f.slot);
            bool here = !v.is_missing();
            xs[i] = nan_v;
            if (here && !f.text) {
                if (!as_double(v, xs[i]))
                    fail("clustering field '" + name_of_slot(ctx, f.slot) + "' is not a number");
                xs[i] = static_cast<double>(fm::num<T>(xs[i]));
            }
            present[i] = here ? 1.0 : 0.0;
            any = any || here;
            q_all += fm::num<T>(f.missing_weight);
            q_present += here ? fm::num<T>(f.missing_weight) : T(0);
        }
        if (!any) return;  // nothing to compare: no prediction
        T adjustment = q_all / q_present;
        bool similarity = cmp.similarity();
        int best = -1;
        T best_value = 0;
        for (std::size_t j = 0; j < k; ++j) {
            T d;
            if (similarity) {
                T a[4] = {0, 0, 0, 0};  // a00 a01 a10 a11 (record value first)
                for (std::size_t i = 0; i < n; ++i) {
                    if (present[i] == 0.0) continue;
                    int x1 = xs[i] != 0.0 ? 2 : 0, y1 = centers[j * n + i] != 0.0 ? 1 : 0;
                    a[x1 + y1] += 1;
                }
                d = cmp.similarity_of(a);
            } else {
                T acc = 0;
                bool first = true;
                for (std::size_t i = 0; i < n; ++i) {
                    if (present[i] == 0.0) continue;
                    const Field& f = fields[i];
                    T c = compare<T>(f, i, j, fm::num<T>(xs[i]), f.text ? ctx.get(f.slot) : Value::missing());
                    cmp.fold(acc, first, fm::num<T>(f.weight), c);
                }
                d = cmp.distance(acc, adjustment);
            }
            r.probs[j] = static_cast<double>(d);
            bool better = similarity ? d > best_value : d < best_value;
            if (best < 0 || better) {
                best = static_cast<int>(j);
                best_value = d;
            }
        }
        if (best < 0 || std::isnan(best_value)) return;
        r.category = best;
        r.value = category_value(best);
        r.entity_id = ids[static_cast<std::size_t>(best)];
    }

private:
    std::string name_of_slot(Ctx& ctx, int slot) const { return std::string(ctx.prog->layout.name(slot)); }
};

/// The rows of a Matrix element (Array rows or MatCell cells; kind any, symmetric or diagonal) as a
/// size x size row-major table.
std::vector<double> read_matrix(Compiler& c, pugi::xml_node m, std::size_t size) {
    // Dense: a field of 20,000 values would need 3.2 GB whatever the document holds (diagonal and
    // MatCell matrices hold few cells).
    if (size > 0 && size > c.limits.max_array / size)
        c.invalid(m, "a " + std::to_string(size) + " x " + std::to_string(size) + " Matrix: more than " +
                         std::to_string(c.limits.max_array) + " values");
    std::vector<double> out(size * size, 0.0);
    auto kind = c.attr(m, "kind");
    if (kind.empty()) kind = "any";
    if (kind != "any" && kind != "symmetric" && kind != "diagonal")
        c.invalid(m, "unknown Matrix kind '" + std::string(kind) + "'");
    double off = c.number(m, "offDiagDefault", 0.0), diag = c.number(m, "diagDefault", 0.0);
    for (std::size_t i = 0; i < size; ++i)
        for (std::size_t j = 0; j < size; ++j) out[i * size + j] = i == j ? diag : off;
    auto rows = Compiler::children(m, "Array");
    if (!rows.empty()) {
        if (kind == "diagonal") {
            auto items = c.array_items(rows[0]);
            if (items.size() != size) c.invalid(rows[0], "a diagonal Matrix needs one value per category");
            for (std::size_t i = 0; i < size; ++i)
                if (!parse_double(items[i], out[i * size + i]))
                    c.invalid(rows[0], "Matrix value is not a number");
            return out;
        }
        if (rows.size() != size)
            c.invalid(m, "the Matrix has " + std::to_string(rows.size()) + " rows; the field lists " +
                             std::to_string(size) + " values");
        for (std::size_t i = 0; i < size; ++i) {
            auto items = c.array_items(rows[i]);
            std::size_t want = kind == "symmetric" ? i + 1 : size;
            if (items.size() != want)
                c.invalid(rows[i], "Matrix row " + std::to_string(i + 1) + " needs " + std::to_string(want) +
                                       " values");
            for (std::size_t j = 0; j < want; ++j) {
                double x;
                if (!parse_double(items[j], x)) c.invalid(rows[i], "Matrix value is not a number");
                out[i * size + j] = x;
                if (kind == "symmetric") out[j * size + i] = x;
            }
        }
        return out;
    }
    for (auto cell : Compiler::children(m, "MatCell")) {
        long row = c.integer(cell, "row", 0), col = c.integer(cell, "col", 0);
        if (row < 1 || col < 1 || static_cast<std::size_t>(row) > size ||
            static_cast<std::size_t>(col) > size)
            c.invalid(cell, "MatCell row/col outside the matrix");
        double x;
        if (!parse_double(cell.child_value(), x)) c.invalid(cell, "MatCell value is not a number");
        out[static_cast<std::size_t>(row - 1) * size + static_cast<std::size_t>(col - 1)] = x;
        if (kind == "symmetric")
            out[static_cast<std::size_t>(col - 1) * size + static_cast<std::size_t>(row - 1)] = x;
    }
    return out;
}

}  // namespace

std::unique_ptr<CompiledModel> compile_clustering_model(ModelContext& mc) {
    auto m = std::make_unique<ClusteringModelImpl>();
    auto& c = mc.c;
    c.init_model(*m, mc);
    auto n = mc.node;
    if (m->function != MiningFunction::clustering)
        c.invalid(n, "a ClusteringModel needs functionName=\"clustering\"");
    auto model_class = c.required(n, "modelClass");
    if (model_class == "distributionBased")
        c.unsupported(n, "modelClass 'distributionBased' is not supported (center-based only)");
    if (model_class != "centerBased") c.invalid(n, "unknown modelClass '" + std::string(model_class) + "'");
    if (Compiler::child(n, "CenterFields")) c.unsupported(n, "CenterFields (PMML 3.0) are not supported");

    auto cm = Compiler::child(n, "ComparisonMeasure");
    if (!cm) c.parse_fail(n, "ClusteringModel without a ComparisonMeasure");
    m->cmp = read_comparison_measure(c, cm);
    const Compare default_compare = m->cmp.compare;

    for (auto cf : Compiler::children(n, "ClusteringField")) {
        if (c.attr(cf, "isCenterField") == "false") continue;
        ClusteringModelImpl::Field f;
        std::string_view name = c.required(cf, "field");
        f.slot = c.resolve_slot(mc.scope, name, cf);
        f.weight = c.number(cf, "fieldWeight", 1.0);
        f.compare = c.has_attr(cf, "compareFunction") ? parse_compare(c, cf, c.attr(cf, "compareFunction"))
                                                      : default_compare;
        if (f.compare == Compare::gauss_sim) {
            f.scale = c.required_number(cf, "similarityScale");
            if (f.scale == 0) c.invalid(cf, "similarityScale must not be 0");
        }
        DataType t = c.slot_type(f.slot);
        f.text = t == DataType::string;
        if (f.compare == Compare::table) {
            auto comps = Compiler::child(cf, "Comparisons");
            auto mat = comps ? Compiler::child(comps, "Matrix") : pugi::xml_node{};
            if (!mat) c.parse_fail(cf, "compareFunction=\"table\" needs a Comparisons Matrix");
            const FieldDomain* d = c.domain(name);
            if (!d || d->valid_text().empty())
                c.invalid(cf, "compareFunction=\"table\" needs a field with listed values");
            f.table_values = d->valid_text().to_vector();
            f.table = read_matrix(c, mat, f.table_values.size());
            f.text = true;
        }
        if (f.text && (f.compare == Compare::abs_diff || f.compare == Compare::gauss_sim))
            c.invalid(cf, "compareFunction absDiff and gaussSim need a numeric field");
        if (f.text && m->cmp.similarity())
            c.invalid(cf, "binary similarity measures need numeric 0/1 fields");
        m->fields.push_back(std::move(f));
    }
    if (m->fields.empty()) c.parse_fail(n, "ClusteringModel without a ClusteringField");
    std::size_t nf = m->fields.size();

    if (auto mvw = Compiler::child(n, "MissingValueWeights")) {
        auto arr = Compiler::child(mvw, "Array");
        if (!arr) c.parse_fail(mvw, "MissingValueWeights without an Array");
        auto items = c.array_items(arr);
        if (items.size() != nf)
            c.invalid(arr, "MissingValueWeights has " + std::to_string(items.size()) + " values for " +
                               std::to_string(nf) + " clustering fields");
        for (std::size_t i = 0; i < nf; ++i)
            if (!parse_double(items[i], m->fields[i].missing_weight))
                c.invalid(arr, "MissingValueWeights value '" + items[i] + "' is not a number");
    }

    auto clusters = Compiler::children(n, "Cluster");
    if (clusters.empty()) c.parse_fail(n, "ClusteringModel without a Cluster");
    for (std::size_t j = 0; j < clusters.size(); ++j) {
        auto cl = clusters[j];
        auto arr = Compiler::child(cl, "Array");
        if (!arr) c.parse_fail(cl, "Cluster without an Array of center coordinates");
        auto items = c.array_items(arr);
        if (items.size() != nf)
            c.invalid(arr, "the Cluster center has " + std::to_string(items.size()) + " values for " +
                               std::to_string(nf) + " clustering fields");
        for (std::size_t i = 0; i < nf; ++i) {
            double x = nan_v;
            if (!parse_double(items[i], x) && !m->fields[i].text)
                c.invalid(arr, "center value '" + items[i] + "' is not a number");
            m->centers.push_back(x);
            m->center_text.push_back(m->fields[i].text ? items[i] : std::string());
        }
        std::string id = c.has_attr(cl, "id") ? std::string(c.attr(cl, "id")) : std::to_string(j + 1);
        for (const auto& other : m->ids)
            if (other == id) c.invalid(cl, "cluster id '" + id + "' is used twice");
        Category cat;
        cat.text = id;
        m->categories.push_back(std::move(cat));
        if (c.has_attr(cl, "name"))
            m->categories.set_display(m->categories.size() - 1, std::string(c.attr(cl, "name")));
        m->ids.push_back(id);
    }
    m->k = clusters.size();
    if (c.has_attr(n, "numberOfClusters") && c.integer(n, "numberOfClusters", 0) != static_cast<long>(m->k))
        c.invalid(n, "numberOfClusters says " + std::string(c.attr(n, "numberOfClusters")) +
                         " but there are " + std::to_string(m->k) + " Cluster elements");
    return m;
}

}  // namespace scorestream::pmml::detail
