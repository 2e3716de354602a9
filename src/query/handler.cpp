// Routing of the read-only endpoints; the views themselves are in json_views.cpp and metrics.cpp.
#include <scorestream/error.hpp>
#include <scorestream/query/handler.hpp>

#include <nlohmann/json.hpp>

#include <cmath>
#include <exception>

namespace scorestream::query {
namespace {

http_response error_response(int status, std::string_view message) {
    http_response r;
    r.status = status;
    // The message may quote a data type from the request: any bytes, so replace invalid UTF-8.
    const nlohmann::ordered_json body{{"error", message}, {"status", status}};
    r.body = body.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace) + "\n";
    return r;
}

int hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

constexpr std::string_view state_prefix = "/state/";

}  // namespace

bool percent_decode(std::string_view in, std::string& out) {
    out.clear();
    out.reserve(in.size());
    for (std::size_t i = 0; i < in.size(); ++i) {
        if (in[i] != '%') {
            out += in[i];
            continue;
        }
        if (i + 2 >= in.size()) return false;
        const int hi = hex_value(in[i + 1]);
        const int lo = hex_value(in[i + 2]);
        if (hi < 0 || lo < 0) return false;
        out += static_cast<char>(hi * 16 + lo);
        i += 2;
    }
    return true;
}

handler::handler(const state_board& board, handler_options options)
    : board_(&board), options_(std::move(options)) {
    double previous = 0;
    for (double b : options_.latency_buckets_seconds) {
        if (!std::isfinite(b) || b <= previous)
            throw invalid_value_error(
                "query::handler_options::latency_buckets_seconds: bounds must be positive, finite and "
                "strictly ascending");
        previous = b;
    }
}

http_response handler::handle(std::string_view method, std::string_view target) const {
    try {
        std::string_view path = target.substr(0, target.find('?'));
        const bool is_state = path.substr(0, state_prefix.size()) == state_prefix;
        const bool known = path == "/models" || path == "/metrics" || path == "/health" || is_state;
        if (!known)
            return error_response(404,
                                  "no such endpoint; try /models, /state/{data_type}, /metrics or /health");
        if (method != "GET") {
            http_response r = error_response(405, "read-only endpoint: only GET is allowed");
            r.headers.emplace_back("Allow", "GET");
            return r;
        }
        const auto snapshots = board_->all();
        http_response r;
        if (path == "/models") {
            r.body = render_models_json(snapshots);
        } else if (path == "/health") {
            r.body = render_health_json(snapshots, now_ms());
        } else if (path == "/metrics") {
            r.content_type = "text/plain; version=0.0.4; charset=utf-8";
            r.body = render_metrics(snapshots, options_);
        } else {
            const std::string_view segment = path.substr(state_prefix.size());
            std::string data_type;
            if (segment.find('/') != std::string_view::npos)
                return error_response(
                    404, "no such endpoint: a data type is one path segment (encode '/' as %2F)");
            if (!percent_decode(segment, data_type))
                return error_response(400, "malformed percent-encoding in the data type");
            r.body = render_state_json(snapshots, data_type);
            if (r.body.empty()) return error_response(404, "unknown data type '" + data_type + "'");
        }
        return r;
    } catch (const std::exception& e) {
        return error_response(500, std::string("internal error: ") + e.what());
    } catch (...) {
        return error_response(500, "internal error");
    }
}

}  // namespace scorestream::query
