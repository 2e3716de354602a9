// The JSON endpoints: /models, /state/{data_type}, /health.
#include <scorestream/query/handler.hpp>

#include <nlohmann/json.hpp>

namespace scorestream::query {
namespace {

using json = nlohmann::ordered_json;  // keys in the order written: name first, details after

// Model names and errors come from outside (descriptors, exceptions) and may hold invalid UTF-8:
// replace such bytes instead of failing the whole answer.
std::string dump(const json& j) { return j.dump(2, ' ', false, json::error_handler_t::replace) + "\n"; }

json model_summary(const model_stats& m) {
    return json{{"name", m.name},
                {"version", m.version},
                {"type", m.type},
                {"description", m.description},
                {"since_ms", m.since_ms}};
}

json model_detail(const model_stats& m, bool current) {
    json j = model_summary(m);
    j["until_ms"] = m.until_ms;
    j["current"] = current;
    j["usage"] = m.usage;
    j["failures"] = m.failures;
    j["timed"] = m.timed;
    j["duration_ns"] =
        json{{"total", m.total_ns}, {"min", m.min_duration_ns()}, {"max", m.max_ns}, {"mean", m.mean_ns()}};
    j["latency_ns"] = json{{"p50", m.latency.quantile(0.5)},
                           {"p90", m.latency.quantile(0.9)},
                           {"p99", m.latency.quantile(0.99)},
                           {"p999", m.latency.quantile(0.999)}};
    j["absent_inputs"] = m.absent_inputs;
    return j;
}

json strategy_json(const serve::strategy_stats& st) {
    json members = json::array();
    for (const auto& m : st.members)
        members.push_back(
            json{{"role", m.role}, {"answered", m.answered}, {"failed", m.failed}, {"absent", m.absent}});
    json j{{"name", st.strategy},
           {"records", st.records},
           {"unanswered", st.unanswered},
           {"config_updates", st.config_updates},
           {"rejected_config", st.rejected_config},
           {"members", std::move(members)}};
    // The counters of the strategy in use (all of them for a strategy this code does not know).
    const bool any = st.strategy != "deadline" && st.strategy != "consensus" && st.strategy != "shadow" &&
                     st.strategy != "ab_split" && st.strategy != "best_quality";
    if (any || st.strategy == "deadline")
        j["deadline"] = json{{"primary_in_time", st.primary_in_time}, {"fallbacks", st.fallbacks},
                             {"over_budget", st.over_budget},         {"primary_failed", st.primary_failed},
                             {"primary_busy", st.primary_busy},       {"late_discarded", st.late_discarded}};
    if (any || st.strategy == "consensus")
        j["votes"] = json{{"unanimous", st.unanimous},
                          {"majority", st.majority},
                          {"ties", st.ties},
                          {"no_quorum", st.no_quorum}};
    if (any || st.strategy == "shadow")
        j["shadow"] = json{{"compared", st.compared},
                           {"agreed", st.agreed},
                           {"agreement_rate", st.agreement_rate()},
                           {"candidate_failed", st.candidate_failed},
                           {"numeric_compared", st.numeric_compared},
                           {"mean_abs_diff", st.mean_abs_diff()}};
    return j;
}

}  // namespace

std::string render_models_json(const std::vector<snapshot_ptr>& snapshots) {
    json list = json::array();
    for (const auto& snap : snapshots) {
        for (const auto& [data_type, dt] : snap->stats.all()) {
            const model_stats* current = dt.current();
            list.push_back(json{{"pipeline", snap->name},
                                {"data_type", data_type},
                                {"has_model", current != nullptr},
                                {"model", current ? model_summary(*current) : json(nullptr)}});
        }
    }
    return dump(json{{"data_types", std::move(list)}});
}

std::string render_state_json(const std::vector<snapshot_ptr>& snapshots, std::string_view data_type) {
    json pipelines = json::array();
    for (const auto& snap : snapshots) {
        const data_type_stats* dt = snap->stats.find(data_type);
        const auto strategy = snap->strategies.find(data_type);
        const bool served = strategy != snap->strategies.end();
        if (!dt && !served) continue;
        // A serving strategy's group keeps its members' model stats under "<data_type>/<role>", so
        // the data type itself may have no stats of its own: show it as empty.
        static const data_type_stats none;
        if (!dt) dt = &none;
        json models = json::array();
        for (std::size_t i = 0; i < dt->models.size(); ++i) {
            const bool current = dt->has_model && i + 1 == dt->models.size();
            models.push_back(model_detail(dt->models[i], current));
        }
        pipelines.push_back(json{{"pipeline", snap->name},
                                 {"taken_at_ms", snap->taken_at_ms},
                                 {"has_model", dt->has_model},
                                 {"accepted_updates", dt->accepted_updates},
                                 {"rejected_updates", dt->rejected_updates},
                                 {"last_error", dt->last_error},
                                 {"last_error_ms", dt->last_error_ms},
                                 {"unscored", dt->unscored},
                                 {"dropped", dt->dropped},
                                 {"models", std::move(models)},
                                 {"strategy", served ? strategy_json(strategy->second) : json(nullptr)}});
    }
    if (pipelines.empty()) return {};
    return dump(json{{"data_type", std::string(data_type)}, {"pipelines", std::move(pipelines)}});
}

std::string render_health_json(const std::vector<snapshot_ptr>& snapshots, std::int64_t now) {
    json pipelines = json::array();
    bool all_finished = true;
    for (const auto& snap : snapshots) {
        all_finished = all_finished && snap->finished;
        pipelines.push_back(json{{"name", snap->name},
                                 {"finished", snap->finished},
                                 {"sequence", snap->sequence},
                                 {"taken_at_ms", snap->taken_at_ms},
                                 {"age_ms", std::max<std::int64_t>(0, now - snap->taken_at_ms)}});
    }
    return dump(json{{"status", "ok"}, {"all_finished", all_finished}, {"pipelines", std::move(pipelines)}});
}

}  // namespace scorestream::query
