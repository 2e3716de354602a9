#pragma once
// The read-only views of queryable state: turns the snapshots on a state_board into the answers of
// GET /models, /state/{data_type}, /metrics and /health. It knows nothing about sockets, so the
// embedded server (query/server.hpp) uses it, and so can an application that already runs its own
// HTTP stack: call handle() with the request's method and target and send back what it returns.
// Thread-safety: handle() and the render functions are const and may be called from any thread at
// once; they only read immutable snapshots taken from the board.

#include <scorestream/stream/state_board.hpp>

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace scorestream::query {

/// An HTTP answer without the transport: status code, content type, extra headers and body.
struct http_response {
    int status = 200;
    std::string content_type = "application/json";
    std::vector<std::pair<std::string, std::string>> headers;  ///< besides Content-Type, e.g. Allow
    std::string body;
};

struct handler_options {
    /// Upper bounds (le) of the buckets of the latency histograms in /metrics, in seconds,
    /// ascending. A duration counts under the first bound at or above the upper edge of the
    /// log-linear bucket that holds it (those buckets are at most 6.25% wide), so counts are exact
    /// for that binning and never attributed to a bound below the duration. +Inf is always added.
    /// The default spans 100 ns to 5 s in 1-5 steps: in-process models are often sub-microsecond.
    std::vector<double> latency_buckets_seconds = {1e-7, 5e-7, 1e-6, 5e-6, 1e-5, 5e-5, 1e-4, 5e-4,
                                                   1e-3, 5e-3, 1e-2, 5e-2, 0.1,  0.5,  1.0,  5.0};
    /// Whether /metrics includes the models a data type served before its current one (their
    /// counters stop growing; they leave the output once the stats' history forgets them).
    bool retired_models_in_metrics = true;
};

class handler {
public:
    /// The board must outlive the handler. Throws invalid_value_error when the bucket bounds are
    /// not positive, finite and strictly ascending.
    explicit handler(const state_board& board, handler_options options = {});

    /// Answers one request: `target` is the request target as sent ("/state/wine%20red?x=1");
    /// the query string is ignored. Never throws: a failure while rendering is a 500 answer.
    http_response handle(std::string_view method, std::string_view target) const;

    const handler_options& options() const noexcept { return options_; }

private:
    const state_board* board_;
    handler_options options_;
};

// The renderers behind the endpoints, over snapshots the caller already holds.

/// GET /models: every (pipeline, data type) with its current model.
std::string render_models_json(const std::vector<snapshot_ptr>& snapshots);
/// GET /state/{data_type}: the stats of one data type in every pipeline that serves it; empty when
/// no pipeline knows the data type.
std::string render_state_json(const std::vector<snapshot_ptr>& snapshots, std::string_view data_type);
/// GET /metrics: Prometheus text exposition format 0.0.4.
std::string render_metrics(const std::vector<snapshot_ptr>& snapshots, const handler_options& options);
/// GET /health: the pipelines, whether they finished and how old their snapshots are at `now_ms`.
std::string render_health_json(const std::vector<snapshot_ptr>& snapshots, std::int64_t now_ms);

/// Decodes %XX escapes of one path segment ('+' stays '+'). Returns false on a malformed escape.
bool percent_decode(std::string_view in, std::string& out);

}  // namespace scorestream::query
