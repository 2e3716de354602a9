// The HTTP endpoints of scorestream::query, queried with a real HTTP client over loopback.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <scorestream/error.hpp>
#include <scorestream/query/server.hpp>
#include <scorestream/scorestream.hpp>
#include <stream/records.hpp>
#include <support/linear_model.hpp>

#include "http_client.hpp"
#include "prometheus.hpp"

#include <atomic>
#include <thread>

using namespace scorestream;
using nlohmann::json;
using scorestream::testing::http_connection;
using scorestream::testing::http_get;
using scorestream::testing::linear_descriptor;
using scorestream::testing::rec;
namespace http = boost::beast::http;

namespace {

ModelRegistry linear_registry() {
    ModelRegistry reg;
    reg.add(std::make_shared<testing::linear_factory>());
    return reg;
}

// A finished pipeline "scoring" on the board: data type "t" served by m@1 then m@2 (an update in
// between is rejected), "wine red" served by a model that fails every record after 3 records that
// found no model.
void run_scripted_pipeline(state_board& board) {
    const ModelRegistry reg = linear_registry();
    script<rec, ModelDescriptor> s;
    s.control(linear_descriptor("t", "m", "1", "w x 1\n"));
    for (int i = 0; i < 5; ++i) s.data({i, "t", double(i), 0});
    s.control(linear_descriptor("t", "m", "2", "w x 2\n"));
    s.control(linear_descriptor("t", "m", "3", "nonsense\n"));
    for (int i = 5; i < 12; ++i) s.data({i, "t", double(i), 0});
    for (int i = 0; i < 3; ++i) s.data({i, "wine red", 1, 1});
    s.control(linear_descriptor("wine red", "thrower", "7", "w x 1\nthrow\n"));
    for (int i = 0; i < 2; ++i) s.data({i, "wine red", 1, 1});
    auto p = s.data_source() | join(s.control_source(), reg) | score() | sink([](const Scored<rec>&) {});
    p.on_error([](error_kind, const record_error&) {});
    publish_options po;
    po.name = "scoring";
    p.publish_to(board, po);
    p.run();
}

json get_json(std::uint16_t port, const std::string& target, int expected_status = 200) {
    const auto r = http_get(port, target);
    INFO(target << " -> " << r.status << " " << r.body);
    REQUIRE(r.status == expected_status);
    REQUIRE(r.content_type == "application/json");
    return json::parse(r.body);
}

}  // namespace

TEST_CASE("GET /models lists every data type with its current model", "[query]") {
    state_board board;
    run_scripted_pipeline(board);
    query::server server(board);
    REQUIRE(server.port() != 0);
    REQUIRE(server.running());

    const json j = get_json(server.port(), "/models");
    const auto& list = j.at("data_types");
    REQUIRE(list.size() == 2);
    REQUIRE(list[0].at("pipeline") == "scoring");
    REQUIRE(list[0].at("data_type") == "t");
    REQUIRE(list[0].at("has_model") == true);
    REQUIRE(list[0].at("model").at("name") == "m");
    REQUIRE(list[0].at("model").at("version") == "2");
    REQUIRE(list[0].at("model").at("type") == "linear");
    REQUIRE(list[0].at("model").at("since_ms").get<std::int64_t>() > 0);
    REQUIRE(list[1].at("data_type") == "wine red");
    REQUIRE(list[1].at("model").at("name") == "thrower");
    server.stop();
    REQUIRE_FALSE(server.running());
    server.stop();  // idempotent
}

TEST_CASE("GET /state/{data_type} has the per-model stats and update outcomes", "[query]") {
    state_board board;
    run_scripted_pipeline(board);
    query::server server(board);
    const auto snap = board.latest("scoring");

    const json t = get_json(server.port(), "/state/t");
    REQUIRE(t.at("data_type") == "t");
    REQUIRE(t.at("pipelines").size() == 1);
    const json& p = t.at("pipelines")[0];
    REQUIRE(p.at("pipeline") == "scoring");
    REQUIRE(p.at("accepted_updates") == 2);
    REQUIRE(p.at("rejected_updates") == 1);
    REQUIRE_FALSE(p.at("last_error").get<std::string>().empty());
    REQUIRE(p.at("last_error_ms").get<std::int64_t>() > 0);
    REQUIRE(p.at("unscored") == 0);
    const json& models = p.at("models");
    REQUIRE(models.size() == 2);
    REQUIRE(models[0].at("version") == "1");
    REQUIRE(models[0].at("current") == false);
    REQUIRE(models[0].at("usage") == 5);
    REQUIRE(models[0].at("until_ms").get<std::int64_t>() >= models[0].at("since_ms").get<std::int64_t>());
    REQUIRE(models[1].at("version") == "2");
    REQUIRE(models[1].at("current") == true);
    REQUIRE(models[1].at("usage") == 7);
    REQUIRE(models[1].at("until_ms") == 0);
    const auto& cur = *snap->stats.find("t")->current();
    REQUIRE(models[1].at("duration_ns").at("total") == cur.total_ns);
    REQUIRE(models[1].at("duration_ns").at("min") == cur.min_duration_ns());
    REQUIRE(models[1].at("duration_ns").at("max") == cur.max_ns);
    REQUIRE(models[1].at("latency_ns").at("p99") == cur.latency.quantile(0.99));
    REQUIRE(models[1].at("latency_ns").at("p50").get<std::uint64_t>() <=
            models[1].at("latency_ns").at("p999").get<std::uint64_t>());
    REQUIRE(models[1].at("absent_inputs").empty());

    // The data type's name is one percent-encoded path segment.
    const json w = get_json(server.port(), "/state/wine%20red?ignored=1");
    REQUIRE(w.at("data_type") == "wine red");
    const json& wp = w.at("pipelines")[0];
    REQUIRE(wp.at("unscored") == 3);
    REQUIRE(wp.at("models")[0].at("usage") == 2);
    REQUIRE(wp.at("models")[0].at("failures") == 2);

    const json missing = get_json(server.port(), "/state/nope", 404);
    REQUIRE(missing.at("status") == 404);
    REQUIRE(missing.at("error").get<std::string>().find("nope") != std::string::npos);
    get_json(server.port(), "/state/", 404);
    get_json(server.port(), "/state/a/b", 404);
    get_json(server.port(), "/state/bad%2", 400);
    get_json(server.port(), "/state/bad%zz", 400);
}

TEST_CASE("GET /metrics is Prometheus text whose values are the pipeline's", "[query]") {
    state_board board;
    run_scripted_pipeline(board);
    query::server server(board);
    const auto snap = board.latest("scoring");
    const auto& c = snap->counters;

    const auto r = http_get(server.port(), "/metrics");
    REQUIRE(r.status == 200);
    REQUIRE(r.content_type == "text/plain; version=0.0.4; charset=utf-8");
    const auto m = testing::parse_metrics(r.body);
    const testing::labels pl{{"pipeline", "scoring"}};
    REQUIRE(m.types.at("scorestream_records_in_total") == "counter");
    REQUIRE(m.types.at("scorestream_model_latency_seconds") == "histogram");
    REQUIRE(m.at("scorestream_records_in_total", pl) == double(c.records_in));
    REQUIRE(c.records_in == 17);
    REQUIRE(m.at("scorestream_records_out_total", pl) == double(c.records_out));
    REQUIRE(m.at("scorestream_control_messages_total", pl) == double(c.control_messages));
    REQUIRE(m.at("scorestream_errors_total", {{"pipeline", "scoring"}, {"kind", "rejected_update"}}) == 1);
    REQUIRE(m.at("scorestream_errors_total", {{"pipeline", "scoring"}, {"kind", "stage"}}) ==
            double(c.stage_errors));
    REQUIRE(m.at("scorestream_pipeline_finished", pl) == 1);

    const testing::labels t{{"pipeline", "scoring"}, {"data_type", "t"}};
    REQUIRE(m.at("scorestream_model_updates_accepted_total", t) == 2);
    REQUIRE(m.at("scorestream_model_updates_rejected_total", t) == 1);
    REQUIRE(m.at("scorestream_unscored_total", {{"pipeline", "scoring"}, {"data_type", "wine red"}}) == 3);

    std::size_t histograms = 0;
    for (const auto& [data_type, dt] : snap->stats.all()) {
        for (const auto& model : dt.models) {
            testing::labels ml{{"pipeline", "scoring"},
                               {"data_type", data_type},
                               {"model", model.name},
                               {"version", model.version}};
            REQUIRE(m.at("scorestream_model_usage_total", ml) == double(model.usage));
            REQUIRE(m.at("scorestream_model_failures_total", ml) == double(model.failures));
            REQUIRE(m.at("scorestream_model_latency_seconds_count", ml) == double(model.usage));
            REQUIRE(m.at("scorestream_model_latency_seconds_sum", ml) ==
                    Approx(double(model.total_ns) / 1e9));
            // Buckets: ascending bounds, cumulative counts, +Inf equals the count.
            double last_le = 0;
            double last_count = 0;
            std::size_t buckets = 0;
            for (const auto* s : m.all("scorestream_model_latency_seconds_bucket")) {
                auto l = s->labels_;
                const double le = l.at("le") == "+Inf" ? HUGE_VAL : std::stod(l.at("le"));
                l.erase("le");
                if (l != ml) continue;
                REQUIRE(le > last_le);
                REQUIRE(s->value >= last_count);
                last_le = le;
                last_count = s->value;
                ++buckets;
            }
            REQUIRE(buckets == query::handler_options{}.latency_buckets_seconds.size() + 1);
            REQUIRE(std::isinf(last_le));
            REQUIRE(last_count == double(model.usage));
            ++histograms;
        }
    }
    REQUIRE(histograms == 3);
}

TEST_CASE("GET /health reports pipelines, finished flags and snapshot ages", "[query]") {
    state_board board;
    query::server server(board);
    json h = get_json(server.port(), "/health");
    REQUIRE(h.at("status") == "ok");
    REQUIRE(h.at("pipelines").empty());

    run_scripted_pipeline(board);
    h = get_json(server.port(), "/health");
    REQUIRE(h.at("pipelines").size() == 1);
    REQUIRE(h.at("pipelines")[0].at("name") == "scoring");
    REQUIRE(h.at("pipelines")[0].at("finished") == true);
    REQUIRE(h.at("pipelines")[0].at("age_ms").get<std::int64_t>() >= 0);
    REQUIRE(h.at("all_finished") == true);
}

TEST_CASE("the endpoint is read-only and refuses unknown paths and oversized requests", "[query]") {
    state_board board;
    run_scripted_pipeline(board);
    query::server_options o;
    o.max_header_bytes = 1024;
    o.max_body_bytes = 64;
    query::server server(board, o);

    SECTION("POST, PUT, DELETE: 405 with Allow: GET") {
        for (auto verb : {http::verb::post, http::verb::put, http::verb::delete_}) {
            const auto r = http_connection(server.port()).request(verb, "/models", false);
            REQUIRE(r.status == 405);
            REQUIRE(r.allow == "GET");
            REQUIRE(json::parse(r.body).at("status") == 405);
        }
    }
    SECTION("unknown path: 404 with a JSON error") {
        const json j = get_json(server.port(), "/nothing/here", 404);
        REQUIRE(j.at("error").get<std::string>().find("/models") != std::string::npos);
        get_json(server.port(), "/models/", 404);
    }
    SECTION("headers larger than max_header_bytes: 431, then the connection closes") {
        const std::string request =
            "GET /models HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: " + std::string(4000, 'a') + "\r\n\r\n";
        const auto r = http_connection(server.port()).raw(request);
        REQUIRE(r.status == 431);
        REQUIRE_FALSE(r.keep_alive);
    }
    SECTION("a body larger than max_body_bytes: 413 before the body is read") {
        const std::string request =
            "GET /models HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 100000\r\n\r\n";
        const auto r = http_connection(server.port()).raw(request);
        REQUIRE(r.status == 413);
    }
    SECTION("a small body is allowed and ignored") {
        const auto r = http_connection(server.port())
                           .raw(
                               "GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 5\r\nConnection: "
                               "close\r\n\r\nhello");
        REQUIRE(r.status == 200);
    }
    SECTION("garbage: 400") {
        const auto r = http_connection(server.port()).raw("NOT HTTP AT ALL\r\n\r\n");
        REQUIRE(r.status == 400);
    }
    SECTION("keep-alive: several requests on one connection") {
        http_connection conn(server.port());
        for (const char* target : {"/models", "/metrics", "/health", "/state/t"}) {
            const auto r = conn.request(http::verb::get, target, true);
            REQUIRE(r.status == 200);
            REQUIRE(r.keep_alive);
        }
    }
}

TEST_CASE("a reader thread queries the endpoint while the pipeline runs", "[query]") {
    const ModelRegistry reg = linear_registry();
    control_queue<ModelDescriptor> models;
    models.push(linear_descriptor("t", "m", "1", "w x 1\n"));
    int n = 0;
    constexpr int records = 20000;
    auto p = generate([&]() -> std::optional<rec> {
                 if (n == records) return std::nullopt;
                 ++n;
                 return rec{n, "t", double(n), 0};
             }) |
             join(models.source(), reg) | score() | sink([](const Scored<rec>&) {});
    state_board board;
    publish_options po;
    po.name = "live";
    po.every_records = 250;
    p.publish_to(board, po);
    query::server_options so;
    so.threads = 2;
    query::server server(board, so);

    // Catch2 assertions are not thread-safe: the reader counts, the test asserts afterwards.
    std::atomic<bool> done{false};
    std::atomic<int> answers{0};
    std::atomic<int> bad{0};
    std::thread reader([&] {
        double last_in = 0;
        bool seen_state = false;
        http_connection conn(server.port());
        while (!done.load()) {
            try {
                const auto m = testing::parse_metrics(conn.request(http::verb::get, "/metrics").body);
                const double in = m.at("scorestream_records_in_total", {{"pipeline", "live"}});
                if (in < last_in) bad.fetch_add(1);  // snapshots only move forward
                last_in = in;
                // 404 until the first model is installed, 200 from then on.
                const auto s = conn.request(http::verb::get, "/state/t");
                if (s.status == 200) seen_state = true;
                if (s.status == 200 ? json::parse(s.body).at("pipelines").size() != 1
                                    : seen_state || s.status != 404)
                    bad.fetch_add(1);
                answers.fetch_add(1);
            } catch (...) {
                bad.fetch_add(1);
                return;
            }
        }
    });
    std::size_t polls = 0;
    while (!p.poll(50).done) {
        // Swap the model now and then while the reader reads.
        if (++polls % 100 == 0) models.push(linear_descriptor("t", "m", std::to_string(polls), "w x 1\n"));
    }
    // Let the reader see the end (it is not timed: it just needs one answer after the last snapshot).
    const int before = answers.load();
    while (answers.load() < before + 2 && bad.load() == 0) std::this_thread::yield();
    done = true;
    reader.join();
    REQUIRE(bad == 0);
    REQUIRE(answers >= 2);

    const auto m = testing::parse_metrics(http_get(server.port(), "/metrics").body);
    REQUIRE(m.at("scorestream_records_in_total", {{"pipeline", "live"}}) == records);
    REQUIRE(m.at("scorestream_pipeline_finished", {{"pipeline", "live"}}) == 1);
    server.stop();
}

TEST_CASE("server errors: a port in use, a bad address, bad options", "[query]") {
    state_board board;
    query::server first(board);
    query::server_options o;
    o.port = first.port();
    try {
        query::server second(board, o);
        FAIL("a second server bound the same port");
    } catch (const io_error& e) {
        const std::string what = e.what();
        REQUIRE(what.find("127.0.0.1:" + std::to_string(first.port())) != std::string::npos);
    }

    query::server_options bad_address;
    bad_address.address = "not-an-address";
    REQUIRE_THROWS_AS(query::server(board, bad_address), invalid_value_error);
    query::server_options no_threads;
    no_threads.threads = 0;
    REQUIRE_THROWS_AS(query::server(board, no_threads), invalid_value_error);
    query::server_options bad_buckets;
    bad_buckets.handler.latency_buckets_seconds = {0.1, 0.01};
    REQUIRE_THROWS_AS(query::server(board, bad_buckets), invalid_value_error);
    REQUIRE(first.running());
    REQUIRE(first.failure() == nullptr);
}

TEST_CASE("a silent client holds only its own connection, and is dropped after request_timeout", "[query]") {
    using tcp = boost::asio::ip::tcp;
    state_board board;
    run_scripted_pipeline(board);
    const tcp::endpoint loopback(boost::asio::ip::make_address("127.0.0.1"), 0);
    boost::asio::io_context ioc;

    SECTION("others are answered while it sends nothing more (one server thread)") {
        query::server_options o;
        o.threads = 1;
        o.request_timeout = std::chrono::minutes(5);
        query::server server(board, o);
        tcp::socket silent(ioc);
        silent.connect(tcp::endpoint(loopback.address(), server.port()));
        boost::asio::write(silent,
                           boost::asio::buffer(std::string("GET /models HTTP/1.1\r\nHost: 127.0.0.1\r\n")));
        for (int i = 0; i < 5; ++i) REQUIRE(http_get(server.port(), "/health").status == 200);
        // The silent connection is still open and unanswered: nothing to read yet.
        silent.non_blocking(true);
        char c = 0;
        boost::system::error_code ec;
        silent.read_some(boost::asio::buffer(&c, 1), ec);
        REQUIRE(ec == boost::asio::error::would_block);
    }
    SECTION("its connection is closed once request_timeout passes") {
        query::server_options o;
        o.request_timeout = std::chrono::milliseconds(50);
        query::server server(board, o);
        tcp::socket silent(ioc);
        silent.connect(tcp::endpoint(loopback.address(), server.port()));
        boost::asio::write(silent, boost::asio::buffer(std::string("GET /models HTTP/1.1\r\n")));
        char c = 0;
        boost::system::error_code ec;
        const std::size_t n = silent.read_some(boost::asio::buffer(&c, 1), ec);  // blocks until closed
        REQUIRE(n == 0);
        REQUIRE(ec);  // end of file (or a reset): no answer was sent
    }
}

TEST_CASE("connections beyond max_connections are closed at once", "[query]") {
    using tcp = boost::asio::ip::tcp;
    state_board board;
    query::server_options o;
    o.max_connections = 1;
    query::server server(board, o);
    {
        http_connection first(server.port());
        REQUIRE(first.request(http::verb::get, "/health").status == 200);  // kept alive: one connection
        boost::asio::io_context ioc;
        tcp::socket second(ioc);
        second.connect(tcp::endpoint(boost::asio::ip::make_address("127.0.0.1"), server.port()));
        char c = 0;
        boost::system::error_code ec;
        REQUIRE(second.read_some(boost::asio::buffer(&c, 1), ec) == 0);
        REQUIRE(ec);
    }
    // Once the first connection is gone (the server notices it asynchronously), others get in again.
    bool served = false;
    for (int attempt = 0; attempt < 1000 && !served; ++attempt) {
        try {
            served = http_get(server.port(), "/health").status == 200;
        } catch (const std::exception&) {
            std::this_thread::sleep_for(std::chrono::milliseconds(5));
        }
    }
    REQUIRE(served);
}
