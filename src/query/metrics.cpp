// GET /metrics: Prometheus text exposition format 0.0.4.
// https://prometheus.io/docs/instrumenting/exposition_formats/
#include <scorestream/query/handler.hpp>

#include <charconv>
#include <cmath>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace scorestream::query {
namespace {

void append_double(std::string& out, double v) {
    if (std::isinf(v)) {
        out += v > 0 ? "+Inf" : "-Inf";
        return;
    }
    if (std::isnan(v)) {
        out += "NaN";
        return;
    }
    char buf[32];
    auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);  // shortest round-trip form
    if (ec == std::errc()) out.append(buf, end);
}

// Label values: backslash, double quote and line feed are escaped.
void append_label_value(std::string& out, std::string_view v) {
    for (char c : v) {
        switch (c) {
            case '\\':
                out += "\\\\";
                break;
            case '"':
                out += "\\\"";
                break;
            case '\n':
                out += "\\n";
                break;
            default:
                out += c;
        }
    }
}

using label = std::pair<std::string_view, std::string_view>;

void append_labels(std::string& out, std::initializer_list<label> labels, const label* extra = nullptr) {
    out += '{';
    bool first = true;
    auto one = [&](const label& l) {
        if (!first) out += ',';
        first = false;
        out += l.first;
        out += "=\"";
        append_label_value(out, l.second);
        out += '"';
    };
    for (const auto& l : labels) one(l);
    if (extra) one(*extra);
    out += '}';
}

void append_header(std::string& out, std::string_view name, std::string_view type, std::string_view help) {
    // HELP text is ours (no backslash or line feed to escape).
    out += "# HELP ";
    out += name;
    out += ' ';
    out += help;
    out += "\n# TYPE ";
    out += name;
    out += ' ';
    out += type;
    out += '\n';
}

// One model's series in one data type of one pipeline. A (name, version) installed more than once
// is one series: its occurrences are added up, so no series is exposed twice.
struct model_row {
    std::string_view pipeline;
    std::string_view data_type;
    model_stats stats;
    bool current = false;
};

struct data_type_row {
    std::string_view pipeline;
    std::string_view data_type;
    const data_type_stats* stats;
};

void add_model(std::vector<model_row>& rows, std::size_t first_of_type, std::string_view pipeline,
               std::string_view data_type, const model_stats& m, bool current) {
    for (std::size_t i = first_of_type; i < rows.size(); ++i) {
        model_row& r = rows[i];
        if (r.stats.name != m.name || r.stats.version != m.version) continue;
        r.stats.usage += m.usage;
        r.stats.failures += m.failures;
        r.stats.timed += m.timed;
        r.stats.total_ns += m.total_ns;
        r.stats.latency.merge(m.latency);
        r.current = r.current || current;
        return;
    }
    rows.push_back(model_row{pipeline, data_type, m, current});
}

// Serving-strategy counters, one series per (pipeline, data type, strategy[, member]). A family
// is written only when some data type uses a strategy that moves it.
void append_strategy_metrics(std::string& out, const std::vector<snapshot_ptr>& snapshots) {
    struct row {
        std::string_view pipeline;
        std::string_view data_type;
        const serve::strategy_stats* stats;
    };
    std::vector<row> rows;
    for (const auto& snap : snapshots)
        for (const auto& [data_type, st] : snap->strategies) rows.push_back(row{snap->name, data_type, &st});
    if (rows.empty()) return;

    auto family = [&](std::string_view name, std::string_view type, std::string_view help,
                      std::string_view only_strategy,
                      const std::function<double(const serve::strategy_stats&)>& value) {
        bool header = false;
        for (const auto& r : rows) {
            if (!only_strategy.empty() && r.stats->strategy != only_strategy) continue;
            if (!header) append_header(out, name, type, help);
            header = true;
            out += name;
            append_labels(
                out, {{"pipeline", r.pipeline}, {"data_type", r.data_type}, {"strategy", r.stats->strategy}});
            out += ' ';
            append_double(out, value(*r.stats));
            out += '\n';
        }
    };
    using st = serve::strategy_stats;
    family("scorestream_serve_records_total", "counter", "Records served by a serving strategy.", "",
           [](const st& s) { return double(s.records); });
    family("scorestream_serve_unanswered_total", "counter", "Records no member of the strategy could answer.",
           "", [](const st& s) { return double(s.unanswered); });
    family("scorestream_serve_config_updates_total", "counter", "Strategy configuration messages applied.",
           "", [](const st& s) { return double(s.config_updates); });
    family("scorestream_serve_config_rejected_total", "counter", "Strategy configuration messages refused.",
           "", [](const st& s) { return double(s.rejected_config); });

    // Per member: answered (wins, arm hits, in-time answers), failed, absent (no model).
    append_header(out, "scorestream_serve_member_records_total", "counter",
                  "Records a strategy member answered, failed, or missed for want of a model.");
    for (const auto& r : rows) {
        for (const auto& m : r.stats->members) {
            const std::pair<const char*, std::uint64_t> outcomes[] = {
                {"answered", m.answered}, {"failed", m.failed}, {"absent", m.absent}};
            for (const auto& [outcome, value] : outcomes) {
                out += "scorestream_serve_member_records_total";
                const label o{"outcome", outcome};
                append_labels(out,
                              {{"pipeline", r.pipeline},
                               {"data_type", r.data_type},
                               {"strategy", r.stats->strategy},
                               {"member", m.role}},
                              &o);
                out += ' ';
                out += std::to_string(value);
                out += '\n';
            }
        }
    }

    family("scorestream_serve_primary_in_time_total", "counter",
           "Deadline: answers of the primary within the budget.", "deadline",
           [](const st& s) { return double(s.primary_in_time); });
    family("scorestream_serve_fallbacks_total", "counter",
           "Deadline: answers of the fallback, for any reason.", "deadline",
           [](const st& s) { return double(s.fallbacks); });
    family("scorestream_serve_over_budget_total", "counter",
           "Deadline: primaries still running at the deadline.", "deadline",
           [](const st& s) { return double(s.over_budget); });
    family("scorestream_serve_primary_failed_total", "counter",
           "Deadline: primaries that failed within the budget.", "deadline",
           [](const st& s) { return double(s.primary_failed); });
    family("scorestream_serve_primary_busy_total", "counter",
           "Deadline: records sent to the fallback because every primary run slot was taken.", "deadline",
           [](const st& s) { return double(s.primary_busy); });
    family("scorestream_serve_late_discarded_total", "counter", "Deadline: late primary results thrown away.",
           "deadline", [](const st& s) { return double(s.late_discarded); });

    family("scorestream_serve_unanimous_total", "counter", "Consensus: records on which every answer agreed.",
           "consensus", [](const st& s) { return double(s.unanimous); });
    family("scorestream_serve_majority_total", "counter",
           "Consensus: records on which more than half of the answers agreed (unanimous included).",
           "consensus", [](const st& s) { return double(s.majority); });
    family("scorestream_serve_ties_total", "counter", "Consensus: votes decided by member order.",
           "consensus", [](const st& s) { return double(s.ties); });
    family("scorestream_serve_no_quorum_total", "counter",
           "Consensus: records with fewer answers than the quorum.", "consensus",
           [](const st& s) { return double(s.no_quorum); });

    family("scorestream_serve_shadow_compared_total", "counter",
           "Shadow: records both the primary and the candidate answered.", "shadow",
           [](const st& s) { return double(s.compared); });
    family("scorestream_serve_shadow_agreed_total", "counter",
           "Shadow: compared records on which the candidate agreed with the primary.", "shadow",
           [](const st& s) { return double(s.agreed); });
    family("scorestream_serve_shadow_agreement_ratio", "gauge",
           "Shadow: agreed / compared (0 before any comparison).", "shadow",
           [](const st& s) { return s.agreement_rate(); });
    family("scorestream_serve_shadow_candidate_failed_total", "counter",
           "Shadow: records the candidate failed while the primary answered.", "shadow",
           [](const st& s) { return double(s.candidate_failed); });
    family("scorestream_serve_shadow_abs_diff_total", "counter",
           "Shadow: sum of |primary - candidate| over numeric comparisons.", "shadow",
           [](const st& s) { return s.total_abs_diff; });
    family("scorestream_serve_shadow_numeric_compared_total", "counter",
           "Shadow: comparisons of numeric answers (the count of the sum above).", "shadow",
           [](const st& s) { return double(s.numeric_compared); });
}

}  // namespace

std::string render_metrics(const std::vector<snapshot_ptr>& snapshots, const handler_options& options) {
    std::vector<data_type_row> types;
    std::vector<model_row> models;
    for (const auto& snap : snapshots) {
        for (const auto& [name, dt] : snap->stats.all()) {
            types.push_back(data_type_row{snap->name, name, &dt});
            const std::size_t first = models.size();
            for (std::size_t i = 0; i < dt.models.size(); ++i) {
                const bool current = dt.has_model && i + 1 == dt.models.size();
                if (current || options.retired_models_in_metrics)
                    add_model(models, first, snap->name, name, dt.models[i], current);
            }
        }
    }

    std::string out;
    out.reserve(4096 + models.size() * (options.latency_buckets_seconds.size() + 8) * 160);

    auto pipeline_family = [&](std::string_view name, std::string_view type, std::string_view help,
                               const std::function<double(const pipeline_snapshot&)>& value) {
        append_header(out, name, type, help);
        for (const auto& snap : snapshots) {
            out += name;
            append_labels(out, {{"pipeline", snap->name}});
            out += ' ';
            append_double(out, value(*snap));
            out += '\n';
        }
    };
    auto counter = [](std::uint64_t pipeline_counters::*field) {
        return [field](const pipeline_snapshot& s) { return double(s.counters.*field); };
    };
    pipeline_family("scorestream_records_in_total", "counter", "Records read from the data source.",
                    counter(&pipeline_counters::records_in));
    pipeline_family("scorestream_records_out_total", "counter", "Elements handed to the sink.",
                    counter(&pipeline_counters::records_out));
    pipeline_family("scorestream_records_filtered_total", "counter", "Records removed by filter().",
                    counter(&pipeline_counters::filtered));
    pipeline_family("scorestream_records_dropped_total", "counter",
                    "Records dropped by a before-state policy.", counter(&pipeline_counters::dropped));
    pipeline_family("scorestream_records_held", "gauge", "Records waiting for state right now.",
                    counter(&pipeline_counters::held));
    pipeline_family("scorestream_control_messages_total", "counter", "Control messages read.",
                    counter(&pipeline_counters::control_messages));

    append_header(out, "scorestream_errors_total", "counter",
                  "Errors reported to the error handler, by kind.");
    for (const auto& snap : snapshots) {
        const std::pair<const char*, std::uint64_t> kinds[] = {
            {"data_source", snap->counters.source_errors},
            {"control_source", snap->counters.control_errors},
            {"rejected_update", snap->counters.rejected_updates},
            {"stage", snap->counters.stage_errors}};
        for (const auto& [kind, value] : kinds) {
            out += "scorestream_errors_total";
            const label k{"kind", kind};
            append_labels(out, {{"pipeline", snap->name}}, &k);
            out += ' ';
            out += std::to_string(value);
            out += '\n';
        }
    }

    pipeline_family("scorestream_pipeline_finished", "gauge", "1 when the pipeline's stream has ended.",
                    [](const pipeline_snapshot& s) { return s.finished ? 1.0 : 0.0; });
    pipeline_family("scorestream_snapshot_timestamp_seconds", "gauge",
                    "When the published snapshot was taken (Unix time).",
                    [](const pipeline_snapshot& s) { return double(s.taken_at_ms) / 1000.0; });

    auto type_family = [&](std::string_view name, std::string_view type, std::string_view help,
                           const std::function<double(const data_type_stats&)>& value) {
        append_header(out, name, type, help);
        for (const auto& t : types) {
            out += name;
            append_labels(out, {{"pipeline", t.pipeline}, {"data_type", t.data_type}});
            out += ' ';
            append_double(out, value(*t.stats));
            out += '\n';
        }
    };
    type_family("scorestream_model_updates_accepted_total", "counter", "Model updates installed.",
                [](const data_type_stats& s) { return double(s.accepted_updates); });
    type_family("scorestream_model_updates_rejected_total", "counter",
                "Model updates refused (the previous model kept serving).",
                [](const data_type_stats& s) { return double(s.rejected_updates); });
    type_family("scorestream_unscored_total", "counter",
                "Records emitted unscored because no model was there.",
                [](const data_type_stats& s) { return double(s.unscored); });
    type_family("scorestream_dropped_total", "counter", "Records dropped because no model was there.",
                [](const data_type_stats& s) { return double(s.dropped); });
    type_family("scorestream_has_model", "gauge", "1 when the data type has a model serving it.",
                [](const data_type_stats& s) { return s.has_model ? 1.0 : 0.0; });

    append_strategy_metrics(out, snapshots);

    auto append_model_labels = [&](const model_row& m, const label* extra) {
        append_labels(out,
                      {{"pipeline", m.pipeline},
                       {"data_type", m.data_type},
                       {"model", m.stats.name},
                       {"version", m.stats.version}},
                      extra);
    };
    auto model_family = [&](std::string_view name, std::string_view type, std::string_view help,
                            const std::function<double(const model_row&)>& value) {
        append_header(out, name, type, help);
        for (const auto& m : models) {
            out += name;
            append_model_labels(m, nullptr);
            out += ' ';
            append_double(out, value(m));
            out += '\n';
        }
    };
    model_family("scorestream_model_current", "gauge",
                 "1 for the model serving its data type now, 0 for one it replaced.",
                 [](const model_row& m) { return m.current ? 1.0 : 0.0; });
    model_family("scorestream_model_usage_total", "counter",
                 "Records the model scored (successfully or not).",
                 [](const model_row& m) { return double(m.stats.usage); });
    model_family("scorestream_model_failures_total", "counter", "Records the model could not score.",
                 [](const model_row& m) { return double(m.stats.failures); });

    // Latency histograms, from the log-linear histogram of each model.
    const auto& bounds = options.latency_buckets_seconds;
    std::vector<double> bound_ns(bounds.size());
    for (std::size_t i = 0; i < bounds.size(); ++i) bound_ns[i] = bounds[i] * 1e9;
    append_header(out, "scorestream_model_latency_seconds", "histogram",
                  "Time spent in the model per timed record.");
    std::vector<std::uint64_t> in_bound(bounds.size() + 1);
    std::string le;
    for (const auto& m : models) {
        std::fill(in_bound.begin(), in_bound.end(), 0);
        const latency_histogram& h = m.stats.latency;
        std::size_t i = 0;  // bounds and buckets both ascend: one pass over each
        for (std::size_t b = 0; b < latency_histogram::bucket_count; ++b) {
            const std::uint64_t n = h.bucket(b);
            if (n == 0) continue;
            if (b + 1 == latency_histogram::bucket_count) {
                in_bound.back() += n;
                continue;
            }
            const double highest = double(latency_histogram::lower_bound(b + 1) - 1);
            while (i < bound_ns.size() && bound_ns[i] < highest) ++i;
            in_bound[i] += n;
        }
        std::uint64_t cumulative = 0;
        for (std::size_t k = 0; k <= bounds.size(); ++k) {
            cumulative += in_bound[k];
            le.clear();
            append_double(le, k < bounds.size() ? bounds[k] : HUGE_VAL);
            const label le_label{"le", le};
            out += "scorestream_model_latency_seconds_bucket";
            append_model_labels(m, &le_label);
            out += ' ';
            out += std::to_string(cumulative);
            out += '\n';
        }
        out += "scorestream_model_latency_seconds_sum";
        append_model_labels(m, nullptr);
        out += ' ';
        append_double(out, double(m.stats.total_ns) / 1e9);
        out += "\nscorestream_model_latency_seconds_count";
        append_model_labels(m, nullptr);
        out += ' ';
        out += std::to_string(h.count());
        out += '\n';
    }
    return out;
}

}  // namespace scorestream::query
