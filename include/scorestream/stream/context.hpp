#pragma once
// pipeline_context: what every stage of one pipeline shares: the error handler, counters and the
// serving stats. Owned by the pipeline; stages hold a pointer to it.
// Thread-safety: used by the pipeline's own thread only.

#include <scorestream/model/stats.hpp>
#include <scorestream/serve/stats.hpp>
#include <scorestream/stream/source.hpp>

#include <atomic>
#include <cstdint>
#include <functional>
#include <iostream>
#include <string>
#include <utility>
#include <vector>

namespace scorestream {

enum class error_kind : std::uint8_t {
    data_source,      ///< a data record could not be read (malformed, unreadable)
    control_source,   ///< a control message could not be read
    rejected_update,  ///< a control message was read but refused (e.g. the model failed to build)
    stage,            ///< a user function in the pipeline threw; the record is reported and skipped
};

inline const char* to_string(error_kind k) noexcept {
    switch (k) {
        case error_kind::data_source:
            return "data source";
        case error_kind::control_source:
            return "control source";
        case error_kind::rejected_update:
            return "rejected update";
        case error_kind::stage:
            return "stage";
    }
    return "?";
}

using error_handler = std::function<void(error_kind, const record_error&)>;

/// The default error handler: one line per error on stderr.
inline void log_error_to_stderr(error_kind kind, const record_error& e) {
    std::cerr << "scorestream: " << to_string(kind) << ": " << e.to_string() << '\n';
}

struct pipeline_counters {
    std::uint64_t records_in = 0;        ///< records read from the data source
    std::uint64_t records_out = 0;       ///< elements handed to the sink
    std::uint64_t filtered = 0;          ///< records removed by filter()
    std::uint64_t source_errors = 0;     ///< malformed data records (reported, not lost silently)
    std::uint64_t control_messages = 0;  ///< control messages read
    std::uint64_t control_errors = 0;    ///< malformed control messages
    std::uint64_t rejected_updates = 0;  ///< control messages refused
    std::uint64_t stage_errors = 0;      ///< records whose user function threw
    std::uint64_t dropped = 0;           ///< records dropped by a before-state policy
    std::uint64_t held = 0;              ///< records waiting for state right now
};

class pipeline_context {
public:
    explicit pipeline_context(error_handler on_error = log_error_to_stderr) : on_error_(std::move(on_error)) {
        if (!on_error_) on_error_ = log_error_to_stderr;
    }

    void set_error_handler(error_handler h) {
        on_error_ = h ? std::move(h) : error_handler(log_error_to_stderr);
    }

    void report(error_kind kind, const record_error& e) {
        switch (kind) {
            case error_kind::data_source:
                ++counters.source_errors;
                break;
            case error_kind::control_source:
                ++counters.control_errors;
                break;
            case error_kind::rejected_update:
                ++counters.rejected_updates;
                break;
            case error_kind::stage:
                ++counters.stage_errors;
                break;
        }
        try {
            on_error_(kind, e);
        } catch (...) {
            // A throwing handler must not take the pipeline down; the error is already counted.
        }
    }

    /// A user function of stage `stage` threw while processing a record.
    void report_stage_error(const char* stage, const char* what) {
        record_error e;
        e.source = stage;
        e.where = "record " + std::to_string(counters.records_in);
        e.message = std::string("threw: ") + what;
        report(error_kind::stage, e);
    }

    pipeline_counters counters;
    serving_stats stats;
    /// Strategy stats of the serving joins of this pipeline (serve::join registers its own), copied
    /// into every snapshot the pipeline publishes. Each must outlive the pipeline.
    std::vector<const serve::serve_stats*> strategies;
    std::atomic<bool> stop_requested{false};  ///< set by pipeline::stop()

private:
    error_handler on_error_;
};

}  // namespace scorestream
