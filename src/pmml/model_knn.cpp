// NearestNeighborModel: the training instances (InlineTable) compiled into a flat row-major table
// of numbers (categorical cells as indexes into the column's values), KNNInputs with field weights
// and compare functions, a ComparisonMeasure (distances: euclidean, squaredEuclidean, chebychev,
// cityBlock, minkowski; similarities on binary inputs: simpleMatching, jaccard, tanimoto,
// binarySimilarity), and the scoring methods for a continuous target (average, median,
// weightedAverage) or a categorical one (majorityVote, weightedMajorityVote). Outputs: the
// predicted value, probabilities (vote shares), and per neighbour rank its entityId (the
// instanceIdVariable) and affinity (its distance or similarity).
//
// The ComparisonMeasure (its reading and formulas) is shared with ClusteringModel: comparison.hpp.

#include "comparison.hpp"
#include "compiler.hpp"
#include "float_math.hpp"

#include <algorithm>
#include <limits>

namespace scorestream::pmml::detail {
namespace {

class NearestNeighborImpl final : public FloatOrDouble<NearestNeighborImpl> {
public:
    struct Input {
        int slot;
        double weight;
        Compare compare;
        double scale;                     ///< gaussSim: similarityScale
        bool categorical;                 ///< compared as categories (delta/equal on strings)
        std::vector<std::string> values;  ///< categorical: the column's distinct cells
        std::vector<std::pair<std::string_view, int>> sorted;
        int index_of(std::string_view t) const noexcept {
            auto it = std::lower_bound(sorted.begin(), sorted.end(), t,
                                       [](const auto& e, std::string_view x) { return e.first < x; });
            return it != sorted.end() && it->first == t ? it->second : -1;
        }
    };

    std::vector<Input> inputs;
    std::vector<double> table;  ///< instances x inputs (NaN: missing; categorical: value index)
    std::size_t instances = 0;
    std::vector<double> target_num;  ///< per instance (regression)
    std::vector<int> target_cat;     ///< per instance (classification; -1: missing)
    std::vector<std::string> ids;    ///< per instance: the instanceIdVariable cell
    bool has_target = false;
    ComparisonMeasure cmp;
    int k = 1;
    enum class Continuous : std::uint8_t {
        average,
        median,
        weighted_average
    } continuous = Continuous::average;
    bool weighted_vote = false;
    double threshold = 0.001;
    int work = -1;  ///< row values (inputs), distances (instances), neighbour order (instances), votes

    std::size_t row_at() const { return 0; }
    std::size_t dist_at() const { return inputs.size(); }
    std::size_t order_at() const { return inputs.size() + instances; }
    std::size_t vote_at() const { return inputs.size() + 2 * instances; }

    void finalize(Layout& layout) override {
        work = layout.add_work(static_cast<int>(inputs.size() + 2 * instances + categories.size() + 1));
    }

    bool parse_output(Compiler& cc, const pugi::xml_node& of, OutputDef& o) override {
        auto f = cc.attr(of, "feature");
        if (f != "entityId" && f != "affinity") return false;
        long rank = cc.integer(of, "rank", 1);
        if (rank < 1) cc.invalid(of, "rank must be at least 1");
        if (rank > k) cc.invalid(of, "rank is larger than numberOfNeighbors");
        if (f == "entityId" && ids.empty())
            cc.invalid(of, "entityId output of a NearestNeighborModel without instanceIdVariable");
        o.rank = static_cast<int>(rank);
        o.param = f == "entityId" ? 0 : 1;
        o.feature_name = f == "entityId" ? "entityId" : "affinity";
        return true;
    }

    Value family_output(Ctx& ctx, const OutputDef& o, const ModelResult& /*r*/) const override {
        const double* w = ctx.work(work);
        auto n = static_cast<std::size_t>(w[vote_at() + categories.size()]);
        auto at = static_cast<std::size_t>(o.rank - 1);
        if (at >= n) return Value::missing();
        auto i = static_cast<std::size_t>(w[order_at() + at]);
        if (o.param == 0) return Value::string(ids[i]);
        return Value::number(w[dist_at() + i]);
    }

    std::string summary() const override {
        return std::to_string(instances) + " training instances, " + std::to_string(inputs.size()) +
               " inputs, k=" + std::to_string(k) + ", " + measure_name(cmp.measure);
    }

    std::size_t memory_bytes() const override {
        std::size_t n = own_bytes(*this) + inputs.capacity() * sizeof(Input) +
                        table.capacity() * sizeof(double) + target_num.capacity() * sizeof(double) +
                        target_cat.capacity() * sizeof(int) + ids.capacity() * sizeof(std::string);
        for (const auto& s : ids) n += s.capacity() > 15 ? s.capacity() : 0;
        return n;
    }

protected:
    /// Distance or similarity between the record (x, T values) and instance `row`, in T (see
    /// float_math.hpp).
    template <class T>
    T compare(const double* x, std::size_t row) const {
        const double* y = table.data() + row * inputs.size();
        if (cmp.similarity()) {
            T a[4] = {0, 0, 0, 0};  // a00 a01 a10 a11 (record value first)
            for (std::size_t j = 0; j < inputs.size(); ++j) {
                if (std::isnan(x[j]) || std::isnan(y[j])) continue;
                int xi = x[j] != 0.0 ? 2 : 0, yi = y[j] != 0.0 ? 1 : 0;
                a[xi + yi] += 1;
            }
            return cmp.similarity_of(a);
        }
        T acc = 0, all = 0, seen = 0;
        bool first = true;
        for (std::size_t j = 0; j < inputs.size(); ++j) {
            const Input& in = inputs[j];
            T weight = fm::num<T>(in.weight);
            all += weight;
            if (std::isnan(x[j]) || std::isnan(y[j])) continue;
            seen += weight;
            T v = compare_numbers(in.compare, fm::num<T>(x[j]), fm::num<T>(y[j]), fm::num<T>(in.scale));
            cmp.fold(acc, first, weight, v);
        }
        // Missing values: the sum over the compared inputs is scaled up by the share of the
        // total field weight they carry (as for cluster distances); chebychev is not scaled.
        if (seen == 0) return std::numeric_limits<T>::quiet_NaN();
        return cmp.distance(acc, cmp.measure == Measure::chebychev ? T(1) : all / seen);
    }

    friend class FloatOrDouble<NearestNeighborImpl>;

    /// The model in T: double, or float for x-mathContext="float" (inputs, table cells, distances,
    /// neighbour weights, averages and vote shares in float; the median picks a float value).
    template <class T>
    void evaluate_as(Ctx& ctx, ModelResult& r) const {
        double* w = ctx.work(work);
        double* x = w + row_at();
        for (std::size_t j = 0; j < inputs.size(); ++j) {
            const Input& in = inputs[j];
            const Value& v = ctx.get(in.slot);
            if (v.is_missing()) {
                x[j] = nan_v;
            } else if (in.categorical) {
                int idx = in.index_of(v.text());
                if (idx < 0 && v.is_number()) {
                    char buf[32];
                    idx = in.index_of(std::string_view(buf, format_double(v.as_number(), buf, sizeof buf)));
                }
                x[j] = static_cast<double>(idx);  // -1: a value no instance holds
            } else if (!as_double(v, x[j])) {
                fail("KNN input '" + std::string(ctx.prog->layout.name(in.slot)) + "' is not a number");
            } else {
                x[j] = static_cast<double>(fm::num<T>(x[j]));
            }
        }
        double* dist = w + dist_at();
        double* order = w + order_at();
        std::size_t n = 0;
        for (std::size_t i = 0; i < instances; ++i) {
            dist[i] = static_cast<double>(compare<T>(x, i));
            if (!std::isnan(dist[i])) order[n++] = static_cast<double>(i);
        }
        bool sim = cmp.similarity();
        std::size_t kk = std::min(n, static_cast<std::size_t>(k));
        // The k nearest (largest similarity); equal measures keep the training order.
        std::partial_sort(order, order + kk, order + n, [&](double a, double b) {
            double da = dist[static_cast<std::size_t>(a)], db = dist[static_cast<std::size_t>(b)];
            if (da != db) return sim ? da > db : da < db;
            return a < b;
        });
        w[vote_at() + categories.size()] = static_cast<double>(kk);
        if (kk == 0 || !has_target) return;
        auto weight_of = [&](std::size_t i) {
            T dd = fm::num<T>(dist[i]);
            return sim ? dd : T(1) / (dd + fm::num<T>(threshold));
        };
        if (!classification()) {
            double result;
            if (continuous == Continuous::median) {
                // Median of the k target values, sorted in place in the vote area's place: the
                // neighbour order must survive for the outputs, so copy into the row area when it
                // fits, else fall back to a selection per half.
                double lo = 0, hi = 0;
                select_median(order, kk, lo, hi);
                result = kk % 2 ? static_cast<double>(fm::num<T>(hi))
                                : static_cast<double>((fm::num<T>(lo) + fm::num<T>(hi)) / T(2));
            } else {
                T sum = 0, wsum = 0;
                for (std::size_t j = 0; j < kk; ++j) {
                    auto i = static_cast<std::size_t>(order[j]);
                    T wt = continuous == Continuous::weighted_average ? weight_of(i) : T(1);
                    sum += wt * fm::num<T>(target_num[i]);
                    wsum += wt;
                }
                result = static_cast<double>(sum / wsum);
            }
            r.value = Value::number(result);
            return;
        }
        double* votes = w + vote_at();
        std::fill(votes, votes + categories.size(), 0.0);
        T total = 0;
        for (std::size_t j = 0; j < kk; ++j) {
            auto i = static_cast<std::size_t>(order[j]);
            int cat = target_cat[i];
            if (cat < 0) continue;
            T wt = weighted_vote ? weight_of(i) : T(1);
            votes[cat] = static_cast<double>(fm::num<T>(votes[cat]) + wt);
            total += wt;
        }
        if (total <= 0) return;
        // The most voted category; on a tie, the one of the nearest neighbour among the tied.
        int best = -1;
        for (std::size_t j = 0; j < kk; ++j) {
            int cat = target_cat[static_cast<std::size_t>(order[j])];
            if (cat >= 0 && (best < 0 || votes[cat] > votes[best])) best = cat;
        }
        for (std::size_t cc = 0; cc < categories.size(); ++cc)
            r.probs[cc] = static_cast<double>(fm::num<T>(votes[cc]) / total);
        r.has_probs = true;
        r.category = best;
        r.value = category_value(best);
    }

    /// The two middle target values of the k nearest (lo <= hi; equal for odd k), by counting
    /// ranks: O(k^2), k is small, and the neighbour order stays intact.
    void select_median(const double* order, std::size_t kk, double& lo, double& hi) const {
        std::size_t want_hi = kk / 2, want_lo = (kk - 1) / 2;
        for (std::size_t a = 0; a < kk; ++a) {
            double va = target_num[static_cast<std::size_t>(order[a])];
            std::size_t below = 0, equal_before = 0;
            for (std::size_t b = 0; b < kk; ++b) {
                double vb = target_num[static_cast<std::size_t>(order[b])];
                if (vb < va) ++below;
                if (vb == va && b < a) ++equal_before;
            }
            std::size_t rank = below + equal_before;
            if (rank == want_lo) lo = va;
            if (rank == want_hi) hi = va;
        }
    }
};

/// The cell of an InlineTable row for `column` (an element of that local name, any namespace
/// prefix, or the row's attribute of that name).
bool cell_of(pugi::xml_node row, std::string_view column, std::string_view& out) {
    for (auto k : row.children()) {
        if (k.type() != pugi::node_element || Compiler::name_of(k) != column) continue;
        out = k.child_value();
        return true;
    }
    std::string name(column);
    if (auto a = row.attribute(name.c_str())) {
        out = a.value();
        return true;
    }
    return false;
}

std::string_view trim(std::string_view s) {
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
    return s;
}

}  // namespace

std::unique_ptr<CompiledModel> compile_nearest_neighbor_model(ModelContext& mc) {
    auto m = std::make_unique<NearestNeighborImpl>();
    auto& c = mc.c;
    c.init_model(*m, mc);
    auto n = mc.node;
    long k = c.integer(n, "numberOfNeighbors", 0);
    if (!c.has_attr(n, "numberOfNeighbors"))
        c.parse_fail(n, "missing required attribute 'numberOfNeighbors'");
    if (k < 1) c.invalid(n, "numberOfNeighbors must be at least 1");
    m->k = static_cast<int>(std::min<long>(k, 1 << 30));
    auto cont = c.attr(n, "continuousScoringMethod");
    if (cont.empty() || cont == "average")
        m->continuous = NearestNeighborImpl::Continuous::average;
    else if (cont == "median")
        m->continuous = NearestNeighborImpl::Continuous::median;
    else if (cont == "weightedAverage")
        m->continuous = NearestNeighborImpl::Continuous::weighted_average;
    else
        c.invalid(n, "unknown continuousScoringMethod '" + std::string(cont) + "'");
    auto cat = c.attr(n, "categoricalScoringMethod");
    if (!cat.empty() && cat != "majorityVote" && cat != "weightedMajorityVote")
        c.invalid(n, "unknown categoricalScoringMethod '" + std::string(cat) + "'");
    m->weighted_vote = cat == "weightedMajorityVote";
    m->threshold = c.number(n, "threshold", 0.001);

    // ---- ComparisonMeasure
    auto cm = Compiler::child(n, "ComparisonMeasure");
    if (!cm) c.parse_fail(n, "NearestNeighborModel without a ComparisonMeasure");
    m->cmp = read_comparison_measure(c, cm);
    const Compare default_compare = m->cmp.compare;

    // ---- TrainingInstances
    auto ti = Compiler::child(n, "TrainingInstances");
    if (!ti) c.parse_fail(n, "NearestNeighborModel without TrainingInstances");
    if (Compiler::child(ti, "TableLocator")) c.unsupported(ti, "TableLocator is not supported");
    auto fields = Compiler::child(ti, "InstanceFields");
    if (!fields) c.parse_fail(ti, "TrainingInstances without InstanceFields");
    std::unordered_map<std::string, std::string> column_of;  // field -> column
    for (auto f : Compiler::children(fields, "InstanceField")) {
        std::string field(c.required(f, "field"));
        std::string column = c.has_attr(f, "column") ? std::string(c.attr(f, "column")) : field;
        // Columns may carry a namespace prefix ("data:x"): the cells match by local name.
        auto colon = column.find(':');
        if (colon != std::string::npos) column = column.substr(colon + 1);
        column_of[field] = column;
    }
    auto table = Compiler::child(ti, "InlineTable");
    if (!table) c.parse_fail(ti, "TrainingInstances without an InlineTable");
    auto rows = Compiler::children(table, "row");
    if (rows.empty()) c.parse_fail(table, "InlineTable without rows");
    m->instances = rows.size();
    bool transformed = c.attr(ti, "isTransformed") == "true";

    // ---- KNNInputs
    auto ki = Compiler::child(n, "KNNInputs");
    if (!ki) c.parse_fail(n, "NearestNeighborModel without KNNInputs");
    std::vector<std::string> input_columns;
    for (auto in : Compiler::children(ki, "KNNInput")) {
        std::string field(c.required(in, "field"));
        NearestNeighborImpl::Input x;
        x.slot = c.resolve_slot(mc.scope, field, in);
        const auto& def = c.prog.layout.slots[static_cast<std::size_t>(x.slot)];
        if (def.kind == SlotDef::Kind::derived && !transformed)
            c.unsupported(in, "KNN input '" + field +
                                  "' is a derived field and the training instances are not transformed");
        x.weight = c.number(in, "fieldWeight", 1.0);
        x.compare = c.has_attr(in, "compareFunction") ? parse_compare(c, in, c.attr(in, "compareFunction"))
                                                      : default_compare;
        x.scale = 1.0;
        if (x.compare == Compare::gauss_sim)
            c.unsupported(
                in, "compareFunction 'gaussSim' needs a similarityScale, which a KNNInput cannot carry");
        if (x.compare == Compare::table)
            c.unsupported(in, "compareFunction 'table' is not supported (a KNNInput carries no Comparisons)");
        x.categorical = def.type == DataType::string || def.optype == OpType::categorical;
        if (m->cmp.similarity()) x.categorical = false;  // binary inputs: 0 / non-zero
        if (x.categorical && x.compare == Compare::abs_diff)
            c.invalid(in, "categorical KNN input '" + field + "' needs compareFunction 'delta' or 'equal'");
        auto col = column_of.find(field);
        if (col == column_of.end()) c.invalid(in, "KNN input '" + field + "' has no InstanceField");
        input_columns.push_back(col->second);
        m->inputs.push_back(std::move(x));
    }
    if (m->inputs.empty()) c.parse_fail(ki, "KNNInputs without a KNNInput");

    m->has_target = !mc.target_name.empty();
    std::string target_column, id_column;
    if (m->has_target) {
        auto col = column_of.find(mc.target_name);
        if (col == column_of.end()) c.invalid(n, "the target '" + mc.target_name + "' has no InstanceField");
        target_column = col->second;
    }
    if (c.has_attr(n, "instanceIdVariable")) {
        std::string idv(c.attr(n, "instanceIdVariable"));
        auto col = column_of.find(idv);
        id_column = col == column_of.end() ? idv : col->second;
    }
    // Distinct categorical cells of each input column, then the flat table.
    const std::size_t ni = m->inputs.size();
    std::vector<std::vector<std::string_view>> cells(ni);
    for (auto row : rows)
        for (std::size_t j = 0; j < ni; ++j) {
            std::string_view cell;
            if (!cell_of(row, input_columns[j], cell))
                c.invalid(row, "row without a cell for column '" + input_columns[j] + "'");
            cells[j].push_back(trim(cell));
        }
    for (std::size_t j = 0; j < ni; ++j) {
        auto& in = m->inputs[j];
        if (!in.categorical) continue;
        for (auto cell : cells[j])
            if (!cell.empty() && std::find(in.values.begin(), in.values.end(), cell) == in.values.end())
                in.values.emplace_back(cell);
        for (std::size_t v = 0; v < in.values.size(); ++v)
            in.sorted.emplace_back(in.values[v], static_cast<int>(v));
        std::sort(in.sorted.begin(), in.sorted.end());
    }
    m->table.resize(m->instances * ni);
    for (std::size_t i = 0; i < m->instances; ++i) {
        auto row = rows[i];
        for (std::size_t j = 0; j < ni; ++j) {
            auto cell = cells[j][i];
            double& out = m->table[i * ni + j];
            if (cell.empty()) {
                out = nan_v;
            } else if (m->inputs[j].categorical) {
                out = m->inputs[j].index_of(cell);
            } else if (!parse_double(cell, out)) {
                c.invalid(row, "cell '" + std::string(cell) + "' of column '" + input_columns[j] +
                                   "' is not a number");
            }
        }
        if (m->has_target) {
            std::string_view cell;
            if (!cell_of(row, target_column, cell))
                c.invalid(row, "row without a cell for the target column '" + target_column + "'");
            cell = trim(cell);
            if (m->classification()) {
                m->target_cat.push_back(cell.empty() ? -1 : m->intern_category(cell));
            } else {
                double y = nan_v;
                if (!parse_double(cell, y))
                    c.invalid(row, "target cell '" + std::string(cell) + "' is not a number");
                m->target_num.push_back(y);
            }
        }
        if (!id_column.empty()) {
            std::string_view cell;
            if (!cell_of(row, id_column, cell))
                c.invalid(row, "row without a cell for the instanceIdVariable column '" + id_column + "'");
            m->ids.emplace_back(trim(cell));
        }
    }
    return m;
}

}  // namespace scorestream::pmml::detail
