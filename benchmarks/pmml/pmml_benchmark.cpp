// PMML evaluator benchmarks (ns per record, single thread):
//  - corpus models the issue anchors on, on typed feature rows and starting from strings;
//  - a synthetic 7-tree forest (written here, not taken from the corpus) evaluated as PMML and as
//    hand-written straight-line code: the physical limit to compare against;
//  - compiled-model bytes next to PMML text bytes for the ensemble cases (as counters);
//  - SVM, neural network, naive Bayes and clustering corpus models, and the SVM's dense kernel step
//    (a radial-basis kernel over 842 x 45 support vectors, the shape of rattle-LibSVMAudit) as plain
//    loops against Eigen, with the largest relative difference between the two as a counter.

#include "csv.hpp"

#include <scorestream/pmml/model.hpp>

#include <benchmark/benchmark.h>

#include <Eigen/Dense>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <random>
#include <string>
#include <vector>

namespace {

using namespace scorestream;

// ---- corpus ---------------------------------------------------------------------------------------

struct Loaded {
    pmml::PmmlModelPtr model;
    pmml::tools::CsvTable table;
    std::vector<Value> typed;  // rows x inputs
    std::vector<int> cols;
};

const Loaded* corpus_case(const std::string& name) {
    static std::map<std::string, std::unique_ptr<Loaded>> cache;
    auto it = cache.find(name);
    if (it != cache.end()) return it->second.get();
    const std::string dir = SCORESTREAM_PMML_CONFORMANCE_DIR;
    if (dir.empty() || !std::filesystem::exists(dir + "/" + name + "/model.pmml")) return nullptr;
    auto l = std::make_unique<Loaded>();
    l->model = pmml::load_file(dir + "/" + name + "/model.pmml");
    l->table = pmml::tools::read_csv(dir + "/" + name + "/input.csv");
    const auto& inputs = l->model->schema().inputs;
    for (const auto& n : inputs) l->cols.push_back(l->table.column(n));
    for (const auto& row : l->table.rows)
        for (int c : l->cols)
            l->typed.push_back(c < 0 ? Value::missing()
                                     : pmml::tools::cell_value(row[static_cast<std::size_t>(c)], {"NA"}));
    return cache.emplace(name, std::move(l)).first->second.get();
}

void corpus_typed(benchmark::State& state, const std::string& name) {
    const Loaded* l = corpus_case(name);
    if (!l) {
        state.SkipWithError("corpus not found");
        return;
    }
    std::size_t width = l->cols.size(), rows = l->table.rows.size(), i = 0;
    Prediction p;
    for (auto _ : state) {
        l->model->score(FeatureRow(l->typed.data() + i * width, width), p);
        benchmark::DoNotOptimize(p.value);
        if (++i == rows) i = 0;
    }
    state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
}

void corpus_strings(benchmark::State& state, const std::string& name) {
    const Loaded* l = corpus_case(name);
    if (!l) {
        state.SkipWithError("corpus not found");
        return;
    }
    std::size_t width = l->cols.size(), rows = l->table.rows.size(), i = 0;
    std::vector<Value> row(width);
    const std::vector<std::string> markers = {"NA"};
    Prediction p;
    for (auto _ : state) {
        const auto& cells = l->table.rows[i];
        for (std::size_t k = 0; k < width; ++k)
            row[k] = l->cols[k] < 0
                         ? Value::missing()
                         : pmml::tools::cell_value(cells[static_cast<std::size_t>(l->cols[k])], markers);
        l->model->score(FeatureRow(row.data(), width), p);
        benchmark::DoNotOptimize(p.value);
        if (++i == rows) i = 0;
    }
    state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
}

void compiled_size(benchmark::State& state, const std::string& name) {
    const Loaded* l = corpus_case(name);
    if (!l) {
        state.SkipWithError("corpus not found");
        return;
    }
    for (auto _ : state) benchmark::DoNotOptimize(l->model->describe().compiled_bytes);
    const auto& d = l->model->describe();
    state.counters["pmml_bytes"] = static_cast<double>(d.text_bytes);
    state.counters["compiled_bytes"] = static_cast<double>(d.compiled_bytes);
    state.counters["ratio"] = static_cast<double>(d.compiled_bytes) / static_cast<double>(d.text_bytes);
}

// ---- synthetic forest: PMML and straight-line -----------------------------------------------------

struct Split {
    int feature;       // -1: leaf
    double threshold;  // go left when x[feature] <= threshold
    int left, right;   // node indices
    int label;         // leaf class
};
using Tree = std::vector<Split>;

const char* const classes[] = {"a", "b", "c"};
const char* const features[] = {"f0", "f1", "f2", "f3"};

std::vector<Tree> forest() {
    auto leaf = [](int c) { return Split{-1, 0, 0, 0, c}; };
    return {
        {{2, 2.45, 1, 2, 0}, leaf(0), {3, 1.75, 3, 4, 0}, {2, 4.95, 5, 6, 0}, leaf(2), leaf(1), leaf(2)},
        {{3, 0.8, 1, 2, 0}, leaf(0), {2, 4.85, 3, 4, 0}, leaf(1), leaf(2)},
        {{2, 2.6, 1, 2, 0}, leaf(0), {3, 1.65, 3, 4, 0}, {0, 7.0, 5, 6, 0}, leaf(2), leaf(1), leaf(2)},
        {{3, 0.75, 1, 2, 0}, leaf(0), {2, 5.05, 3, 4, 0}, {1, 2.25, 5, 6, 0}, leaf(2), leaf(2), leaf(1)},
        {{2, 2.5, 1, 2, 0},
         leaf(0),
         {0, 6.15, 3, 4, 0},
         {3, 1.7, 5, 6, 0},
         {2, 5.0, 7, 8, 0},
         leaf(1),
         leaf(2),
         leaf(1),
         leaf(2)},
        {{3, 0.7, 1, 2, 0}, leaf(0), {3, 1.55, 3, 4, 0}, leaf(1), leaf(2)},
        {{2, 2.35, 1, 2, 0}, leaf(0), {2, 4.75, 3, 4, 0}, leaf(1), {3, 1.85, 5, 6, 0}, leaf(1), leaf(2)},
    };
}

std::string node_pmml(const Tree& t, int k, const std::string& predicate) {
    const Split& s = t[static_cast<std::size_t>(k)];
    if (s.feature < 0)
        return "<Node score=\"" + std::string(classes[s.label]) + "\">" + predicate + "</Node>";
    std::string f = features[s.feature], v = std::to_string(s.threshold);
    return "<Node>" + predicate +
           node_pmml(t, s.left,
                     "<SimplePredicate field=\"" + f + "\" operator=\"lessOrEqual\" value=\"" + v + "\"/>") +
           node_pmml(t, s.right,
                     "<SimplePredicate field=\"" + f + "\" operator=\"greaterThan\" value=\"" + v + "\"/>") +
           "</Node>";
}

std::string forest_pmml() {
    std::string schema = "<MiningSchema><MiningField name=\"y\" usageType=\"predicted\"/>";
    for (auto f : features) schema += std::string("<MiningField name=\"") + f + "\"/>";
    schema += "</MiningSchema>";
    std::string doc =
        "<PMML version=\"4.3\" xmlns=\"http://www.dmg.org/PMML-4_3\"><DataDictionary>"
        "<DataField name=\"y\" optype=\"categorical\" dataType=\"string\"><Value value=\"a\"/><Value "
        "value=\"b\"/><Value value=\"c\"/></DataField>";
    for (auto f : features)
        doc += std::string("<DataField name=\"") + f + "\" optype=\"continuous\" dataType=\"double\"/>";
    doc += "</DataDictionary><MiningModel functionName=\"classification\">" + schema +
           "<Output><OutputField name=\"P_a\" feature=\"probability\" value=\"a\"/><OutputField name=\"P_b\" "
           "feature=\"probability\" value=\"b\"/>"
           "<OutputField name=\"P_c\" feature=\"probability\" value=\"c\"/></Output><Segmentation "
           "multipleModelMethod=\"majorityVote\">";
    for (const auto& t : forest())
        doc += "<Segment><True/><TreeModel functionName=\"classification\">" + schema +
               node_pmml(t, 0, "<True/>") + "</TreeModel></Segment>";
    doc += "</Segmentation></MiningModel></PMML>";
    return doc;
}

// The same forest written out by hand: what a compiler could emit for it.
inline int straight_line(const double* x, double* probs) {
    int v[3] = {0, 0, 0};
    v[x[2] <= 2.45 ? 0 : (x[3] <= 1.75 ? (x[2] <= 4.95 ? 1 : 2) : 2)]++;
    v[x[3] <= 0.8 ? 0 : (x[2] <= 4.85 ? 1 : 2)]++;
    v[x[2] <= 2.6 ? 0 : (x[3] <= 1.65 ? (x[0] <= 7.0 ? 1 : 2) : 2)]++;
    v[x[3] <= 0.75 ? 0 : (x[2] <= 5.05 ? (x[1] <= 2.25 ? 2 : 1) : 2)]++;
    v[x[2] <= 2.5 ? 0 : (x[0] <= 6.15 ? (x[3] <= 1.7 ? 1 : 2) : (x[2] <= 5.0 ? 1 : 2))]++;
    v[x[3] <= 0.7 ? 0 : (x[3] <= 1.55 ? 1 : 2)]++;
    v[x[2] <= 2.35 ? 0 : (x[2] <= 4.75 ? 1 : (x[3] <= 1.85 ? 1 : 2))]++;
    int best = 0;
    for (int c = 0; c < 3; ++c) {
        probs[c] = v[c] / 7.0;
        if (v[c] > v[best]) best = c;
    }
    return best;
}

std::vector<double> synthetic_rows(std::size_t n) {
    std::mt19937 gen(42);
    std::uniform_real_distribution<double> f0(4.3, 7.9), f1(2.0, 4.4), f2(1.0, 6.9), f3(0.1, 2.5);
    std::vector<double> xs;
    for (std::size_t i = 0; i < n; ++i) {
        xs.push_back(f0(gen));
        xs.push_back(f1(gen));
        xs.push_back(f2(gen));
        xs.push_back(f3(gen));
    }
    return xs;
}

void synthetic_pmml(benchmark::State& state) {
    auto model = pmml::load(forest_pmml());
    const std::size_t n = 150;
    auto xs = synthetic_rows(n);
    // Rows in the model's input order, and a check that both versions agree on every row.
    std::vector<Value> typed;
    std::vector<int> order;
    for (const auto& name : model->schema().inputs) order.push_back(name[1] - '0');
    for (std::size_t i = 0; i < n; ++i)
        for (int f : order) typed.push_back(Value::number(xs[i * 4 + static_cast<std::size_t>(f)]));
    Prediction p;
    for (std::size_t i = 0; i < n; ++i) {
        double probs[3];
        int c = straight_line(&xs[i * 4], probs);
        model->score(FeatureRow(typed.data() + i * 4, 4), p);
        if (to_string(p.value) != classes[c] || p.outputs[0].as_number() != probs[0]) {
            state.SkipWithError("PMML and straight-line forests disagree");
            return;
        }
    }
    std::size_t i = 0;
    for (auto _ : state) {
        model->score(FeatureRow(typed.data() + i * 4, 4), p);
        benchmark::DoNotOptimize(p.value);
        if (++i == n) i = 0;
    }
    state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
}

void synthetic_straight_line(benchmark::State& state) {
    const std::size_t n = 150;
    auto xs = synthetic_rows(n);
    std::size_t i = 0;
    double probs[3];
    for (auto _ : state) {
        benchmark::DoNotOptimize(straight_line(&xs[i * 4], probs));
        benchmark::ClobberMemory();
        if (++i == n) i = 0;
    }
    state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
}

// ---- dense kernel step: plain loops against Eigen ------------------------------------------------------

struct KernelData {
    std::size_t n_sv = 842, n_f = 45;
    double gamma = 0.0222222222222222;
    std::vector<double> sv;    // n_sv x n_f, row-major
    std::vector<double> coef;  // n_sv
    std::vector<double> xs;    // 64 records x n_f
    KernelData() {
        std::mt19937 gen(7);
        std::normal_distribution<double> d(0.0, 1.0);
        std::uniform_real_distribution<double> c(-1.0, 1.0);
        sv.resize(n_sv * n_f);
        for (auto& v : sv) v = d(gen);
        for (std::size_t j = 0; j < n_sv; ++j) coef.push_back(c(gen));
        xs.resize(64 * n_f);
        for (auto& v : xs) v = d(gen);
    }
};

const KernelData& kernel_data() {
    static const KernelData k;
    return k;
}

// What model_svm.cpp does: one kernel value per support vector, sums in document order.
double kernel_plain(const KernelData& k, const double* x) {
    double s = 0;
    for (std::size_t j = 0; j < k.n_sv; ++j) {
        const double* v = k.sv.data() + j * k.n_f;
        double d = 0;
        for (std::size_t i = 0; i < k.n_f; ++i) {
            double z = x[i] - v[i];
            d += z * z;
        }
        s += k.coef[j] * std::exp(-k.gamma * d);
    }
    return s;
}

using RowMatrix = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

// The same with Eigen: squared distances as a vectorized row-wise reduction, then a dot product.
double kernel_eigen(const KernelData& k, const double* x, Eigen::VectorXd& work) {
    Eigen::Map<const RowMatrix> sv(k.sv.data(), static_cast<Eigen::Index>(k.n_sv),
                                   static_cast<Eigen::Index>(k.n_f));
    Eigen::Map<const Eigen::RowVectorXd> row(x, static_cast<Eigen::Index>(k.n_f));
    Eigen::Map<const Eigen::VectorXd> coef(k.coef.data(), static_cast<Eigen::Index>(k.n_sv));
    work.noalias() = (sv.rowwise() - row).rowwise().squaredNorm();
    work = (work.array() * -k.gamma).exp().matrix();
    return coef.dot(work);
}

void kernel_step_plain(benchmark::State& state) {
    const auto& k = kernel_data();
    std::size_t i = 0;
    for (auto _ : state) {
        benchmark::DoNotOptimize(kernel_plain(k, k.xs.data() + i * k.n_f));
        if (++i == 64) i = 0;
    }
    state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
}

void kernel_step_eigen(benchmark::State& state) {
    const auto& k = kernel_data();
    Eigen::VectorXd work(static_cast<Eigen::Index>(k.n_sv));
    double worst = 0;
    for (std::size_t r = 0; r < 64; ++r) {
        double a = kernel_plain(k, k.xs.data() + r * k.n_f),
               b = kernel_eigen(k, k.xs.data() + r * k.n_f, work);
        worst = std::max(worst, std::fabs(a - b) / std::fabs(a));
    }
    std::size_t i = 0;
    for (auto _ : state) {
        benchmark::DoNotOptimize(kernel_eigen(k, k.xs.data() + i * k.n_f, work));
        if (++i == 64) i = 0;
    }
    state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
    state.counters["max_rel_diff_vs_plain"] = worst;
}

const char* const anchors[] = {"rattle-DecisionTreeIris",        "rattle-DecisionTreeAudit",
                               "rattle-LogisticRegressionAudit", "rattle-RandomForestIris",
                               "rattle-RandomForestAudit",       "knime-DecisionTreeEnsembleIris"};
const char* const ensembles[] = {"rattle-RandomForestIris",
                                 "rattle-RandomForestAudit",
                                 "rattle-RandomForestAuto",
                                 "rattle-GBMAuto",
                                 "knime-DecisionTreeEnsembleIris",
                                 "knime-DecisionTreeEnsembleAudit",
                                 "knime-GBTAuto"};
const char* const dense_models[] = {
    "rattle-KernlabSVMIris",    "rattle-LibSVMIris",         "rattle-KernlabSVMAudit",
    "rattle-LibSVMAudit",       "rattle-KernlabSVMAuto",     "knime-SupportVectorMachineIris",
    "rattle-NeuralNetworkIris", "rattle-NeuralNetworkAudit", "knime-NeuralNetworkIris",
    "rattle-NaiveBayesAudit",   "rattle-KMeansIris",         "rattle-HierarchicalClusteringIris",
    "knime-KMeansEnsembleIris"};

int register_all() {
    for (const char* c : anchors) {
        benchmark::RegisterBenchmark((std::string("typed/") + c).c_str(), corpus_typed, std::string(c));
        benchmark::RegisterBenchmark((std::string("strings/") + c).c_str(), corpus_strings, std::string(c));
    }
    for (const char* c : dense_models)
        benchmark::RegisterBenchmark((std::string("typed/") + c).c_str(), corpus_typed, std::string(c));
    benchmark::RegisterBenchmark("svm_kernel_step/plain_loops", kernel_step_plain);
    benchmark::RegisterBenchmark("svm_kernel_step/eigen", kernel_step_eigen);
    benchmark::RegisterBenchmark("synthetic_forest/pmml_typed", synthetic_pmml);
    benchmark::RegisterBenchmark("synthetic_forest/straight_line", synthetic_straight_line);
    for (const char* c : ensembles)
        benchmark::RegisterBenchmark((std::string("compiled_size/") + c).c_str(), compiled_size,
                                     std::string(c))
            ->Iterations(1);
    return 0;
}
const int registered = register_all();

}  // namespace

BENCHMARK_MAIN();
