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
        if (!dt) continue;
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
                                 {"models", std::move(models)}});
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
