// TreeModel: nodes flattened into one array (children of a node are contiguous), predicates in a
// flat Predicates table, score distributions densified per node into probability rows.

#include "compiler.hpp"
#include "predicate.hpp"

namespace scorestream::pmml::detail {
namespace {

class TreeModelImpl final : public CompiledModel {
public:
    enum class Missing : std::uint8_t {
        none,
        last_prediction,
        null_prediction,
        default_child,
        weighted_confidence,
        aggregate_nodes
    };
    struct Node {
        int pred = -1;
        int first_child = 0;
        int n_children = 0;
        int default_child = -1;
        int category = -1;     ///< classification: the node's score
        double score = nan_v;  ///< regression: the node's score
        bool has_score = false;
        int dist = -1;  ///< row in probs_ (classification with ScoreDistribution)
        double record_count = nan_v;
        std::string id;
    };

    Predicates preds;
    std::vector<Node> nodes;
    std::vector<double> probs_;        ///< rows of categories.size()
    std::vector<double> confidences_;  ///< same shape; NaN when not given
    std::vector<std::uint8_t> has_conf_;
    Missing missing = Missing::none;
    bool no_true_child_last = false;
    double penalty = 1.0;
    std::size_t stride = 0;  ///< categories known when the rows were built

    // Compile-time raw distributions, densified once every category is known.
    struct RawDist {
        int node;
        std::vector<std::tuple<int, double, double, double>>
            items;  ///< category, count, probability, confidence
    };
    std::vector<RawDist> raw;

    void compile_node(ModelContext& mc, pugi::xml_node xn, int index, int depth);
    void finish();

    std::size_t memory_bytes() const override {
        std::size_t n = CompiledModel::memory_bytes() + preds.memory_bytes() +
                        nodes.capacity() * sizeof(Node) +
                        (probs_.capacity() + confidences_.capacity()) * sizeof(double) + has_conf_.capacity();
        for (const auto& node : nodes) n += node.id.capacity() > 15 ? node.id.capacity() : 0;
        return n;
    }

protected:
    void evaluate(Ctx& ctx, ModelResult& r) const override;

private:
    int select(Ctx& ctx, int& penalties) const;
};

void TreeModelImpl::compile_node(ModelContext& mc, pugi::xml_node xn, int index, int depth) {
    auto& c = mc.c;
    if (depth > c.limits.max_depth)
        c.invalid(xn, "tree nested deeper than " + std::to_string(c.limits.max_depth) + " levels");
    pugi::xml_node pred_node;
    std::vector<pugi::xml_node> kids;
    std::vector<pugi::xml_node> dists;
    for (auto k : xn.children()) {
        if (k.type() != pugi::node_element) continue;
        auto kn = Compiler::name_of(k);
        if (kn == "Node")
            kids.push_back(k);
        else if (kn == "ScoreDistribution")
            dists.push_back(k);
        else if (kn == "Extension" || kn == "Partition")
            continue;
        else if (kn == "Regression" || kn == "DecisionTree")
            c.unsupported(k, "embedded models in tree nodes are not supported");
        else if (!pred_node)
            pred_node = k;
    }
    if (!pred_node) c.parse_fail(xn, "Node without a predicate");
    int pred = preds.compile(c, pred_node, mc.scope, 0);
    {
        Node& n = nodes[static_cast<std::size_t>(index)];
        n.pred = pred;
        n.id = std::string(c.attr(xn, "id"));
        n.record_count = c.number(xn, "recordCount", nan_v);
        if (c.has_attr(xn, "score")) {
            auto s = c.attr(xn, "score");
            if (classification()) {
                n.category = intern_category(s);
                n.has_score = true;
            } else {
                double x;
                if (!parse_double(s, x)) c.invalid(xn, "score '" + std::string(s) + "' is not a number");
                n.score = x;
                n.has_score = true;
            }
        }
    }
    if (!dists.empty() && classification()) {
        RawDist rd;
        rd.node = index;
        for (auto d : dists) {
            int cat = intern_category(c.required(d, "value"));
            double count = c.number(d, "recordCount", nan_v);
            double prob = c.number(d, "probability", nan_v);
            double conf = c.number(d, "confidence", nan_v);
            rd.items.emplace_back(cat, count, prob, conf);
        }
        raw.push_back(std::move(rd));
    }
    int first = static_cast<int>(nodes.size());
    if (nodes.size() + kids.size() > c.limits.max_elements) c.invalid(xn, "tree too large");
    nodes.resize(nodes.size() + kids.size());
    {
        Node& n = nodes[static_cast<std::size_t>(index)];
        n.first_child = first;
        n.n_children = static_cast<int>(kids.size());
    }
    auto default_id = c.attr(xn, "defaultChild");
    for (std::size_t i = 0; i < kids.size(); ++i) {
        int k = first + static_cast<int>(i);
        compile_node(mc, kids[i], k, depth + 1);
        if (!default_id.empty() && nodes[static_cast<std::size_t>(k)].id == default_id)
            nodes[static_cast<std::size_t>(index)].default_child = k;
    }
    if (!default_id.empty() && nodes[static_cast<std::size_t>(index)].default_child < 0)
        c.invalid(xn, "defaultChild '" + std::string(default_id) + "' is not a child of this Node");
}

void TreeModelImpl::finish() {
    std::size_t nc = categories.size();
    stride = nc;
    for (auto& rd : raw) {
        int row = static_cast<int>(probs_.size() / (nc ? nc : 1));
        probs_.resize(probs_.size() + nc, 0.0);
        confidences_.resize(confidences_.size() + nc, nan_v);
        double* p = probs_.data() + static_cast<std::size_t>(row) * nc;
        double* cf = confidences_.data() + static_cast<std::size_t>(row) * nc;
        bool explicit_p = true;
        double total = 0;
        for (auto& [cat, count, prob, conf] : rd.items) {
            if (std::isnan(prob)) explicit_p = false;
            if (!std::isnan(count)) total += count;
        }
        bool conf_any = false;
        for (auto& [cat, count, prob, conf] : rd.items) {
            auto ci = static_cast<std::size_t>(cat);
            if (explicit_p)
                p[ci] = prob;
            else if (total > 0 && !std::isnan(count))
                p[ci] = count / total;
            if (!std::isnan(conf)) {
                cf[ci] = conf;
                conf_any = true;
            }
        }
        has_conf_.push_back(conf_any ? 1 : 0);
        Node& n = nodes[static_cast<std::size_t>(rd.node)];
        n.dist = row;
        if (!n.has_score) {
            int best = -1;
            for (std::size_t i = 0; i < nc; ++i)
                if (best < 0 || p[i] > p[static_cast<std::size_t>(best)]) best = static_cast<int>(i);
            n.category = best;
            n.has_score = best >= 0;
        }
    }
    raw.clear();
    raw.shrink_to_fit();
}

int TreeModelImpl::select(Ctx& ctx, int& penalties) const {
    if (nodes.empty()) return -1;
    Truth root = preds.eval(ctx, nodes[0].pred);
    if (root != Truth::yes) return -1;
    int cur = 0;
    for (;;) {
        const Node& n = nodes[static_cast<std::size_t>(cur)];
        if (n.n_children == 0) return cur;
        int next = -1;
        for (int i = 0; i < n.n_children; ++i) {
            int k = n.first_child + i;
            Truth t = preds.eval(ctx, nodes[static_cast<std::size_t>(k)].pred);
            if (t == Truth::yes) {
                next = k;
                break;
            }
            if (t == Truth::unknown) {
                switch (missing) {
                    case Missing::none:
                        continue;
                    case Missing::null_prediction:
                        return -1;
                    case Missing::last_prediction:
                        return cur;
                    case Missing::default_child:
                        if (n.default_child < 0) return cur;
                        next = n.default_child;
                        ++penalties;
                        break;
                    default:
                        continue;
                }
                break;
            }
        }
        if (next < 0) return no_true_child_last ? cur : -1;
        cur = next;
    }
}

void TreeModelImpl::evaluate(Ctx& ctx, ModelResult& r) const {
    int penalties = 0;
    int k = select(ctx, penalties);
    if (k < 0) return;
    const Node& n = nodes[static_cast<std::size_t>(k)];
    r.entity_id = n.id;
    if (!classification()) {
        if (n.has_score) r.value = Value::number(n.score);
        return;
    }
    if (!n.has_score) return;
    r.category = n.category;
    r.value = category_value(n.category);
    std::size_t nc = stride;
    if (n.dist >= 0) {
        const double* p = probs_.data() + static_cast<std::size_t>(n.dist) * nc;
        std::copy(p, p + nc, r.probs.begin());
        r.has_probs = true;
        double factor = penalties ? std::pow(penalty, penalties) : 1.0;
        if (has_conf_[static_cast<std::size_t>(n.dist)]) {
            const double* cf = confidences_.data() + static_cast<std::size_t>(n.dist) * nc;
            for (std::size_t i = 0; i < nc; ++i)
                r.confidences[i] = (std::isnan(cf[i]) ? p[i] : cf[i]) * factor;
        } else {
            for (std::size_t i = 0; i < nc; ++i) r.confidences[i] = p[i] * factor;
        }
        r.has_confidences = true;
    }
}

}  // namespace

std::unique_ptr<CompiledModel> compile_tree_model(ModelContext& mc) {
    auto m = std::make_unique<TreeModelImpl>();
    auto& c = mc.c;
    c.init_model(*m, mc);
    auto n = mc.node;
    auto mvs = c.attr(n, "missingValueStrategy");
    using M = TreeModelImpl::Missing;
    if (mvs.empty() || mvs == "none")
        m->missing = M::none;
    else if (mvs == "lastPrediction")
        m->missing = M::last_prediction;
    else if (mvs == "nullPrediction")
        m->missing = M::null_prediction;
    else if (mvs == "defaultChild")
        m->missing = M::default_child;
    else if (mvs == "weightedConfidence" || mvs == "aggregateNodes")
        c.unsupported(n, "missingValueStrategy '" + std::string(mvs) + "' is not supported yet");
    else
        c.invalid(n, "unknown missingValueStrategy '" + std::string(mvs) + "'");
    auto ntc = c.attr(n, "noTrueChildStrategy");
    if (ntc.empty() || ntc == "returnNullPrediction")
        m->no_true_child_last = false;
    else if (ntc == "returnLastPrediction")
        m->no_true_child_last = true;
    else
        c.invalid(n, "unknown noTrueChildStrategy '" + std::string(ntc) + "'");
    m->penalty = c.number(n, "missingValuePenalty", 1.0);
    auto root = Compiler::child(n, "Node");
    if (!root) c.parse_fail(n, "TreeModel without a Node");
    m->nodes.resize(1);
    m->compile_node(mc, root, 0, 0);
    m->finish();
    return m;
}

}  // namespace scorestream::pmml::detail
