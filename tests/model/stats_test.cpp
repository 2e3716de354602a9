#include <catch2/catch.hpp>
#include <scorestream/model/stats.hpp>

#include <random>

using namespace scorestream;

TEST_CASE("histogram buckets are exact below 16 and within 1/16 above", "[model][stats]") {
    for (std::uint64_t v = 0; v < 16; ++v)
        REQUIRE(latency_histogram::lower_bound(latency_histogram::bucket_of(v)) == v);
    for (std::uint64_t v : {16ull, 17ull, 100ull, 1000ull, 123456789ull, 1ull << 40, ~0ull}) {
        auto b = latency_histogram::bucket_of(v);
        REQUIRE(b < latency_histogram::bucket_count);
        auto lo = latency_histogram::lower_bound(b);
        REQUIRE(lo <= v);
        REQUIRE(double(v - lo) <= double(v) / 16.0);
        if (b + 1 < latency_histogram::bucket_count) REQUIRE(latency_histogram::lower_bound(b + 1) > v);
    }
}

TEST_CASE("histogram quantiles track the data", "[model][stats]") {
    latency_histogram h;
    REQUIRE(h.quantile(0.5) == 0);
    for (std::uint64_t v = 1; v <= 10000; ++v) h.record(v);
    REQUIRE(h.count() == 10000);
    auto near = [](std::uint64_t got, double want) {
        return std::abs(double(got) - want) <= want / 16.0 + 1;
    };
    REQUIRE(near(h.quantile(0.5), 5000));
    REQUIRE(near(h.quantile(0.99), 9900));
    REQUIRE(near(h.quantile(0.0), 1));
    REQUIRE(near(h.quantile(1.0), 10000));
}

TEST_CASE("model stats keep usage, extremes and history", "[model][stats]") {
    data_type_stats st;
    ModelIdentity a{"a", "1", "first", "linear", "wine", 0};
    auto& ma = st.install(a);
    ma.record_duration(10);
    ma.record_duration(30);
    ma.usage = 2;
    REQUIRE(ma.min_duration_ns() == 10);
    REQUIRE(ma.max_ns == 30);
    REQUIRE(ma.mean_ns() == 20);
    REQUIRE(st.current()->name == "a");

    ModelIdentity b{"b", "2", "second", "linear", "wine", 0};
    st.install(b);
    REQUIRE(st.models.size() == 2);
    REQUIRE(st.models.front().until_ms != 0);  // retired
    REQUIRE(st.current()->name == "b");
    REQUIRE(st.current()->min_duration_ns() == 0);
    REQUIRE(st.accepted_updates == 2);

    for (int i = 0; i < 40; ++i) st.install(b);
    REQUIRE(st.models.size() == data_type_stats::history_limit + 1);

    st.reject("bad model");
    REQUIRE(st.rejected_updates == 1);
    REQUIRE(st.last_error == "bad model");
    REQUIRE(st.last_error_ms > 0);
}

TEST_CASE("the stats table is bounded against garbage data types", "[model][stats]") {
    serving_stats s;
    for (std::size_t i = 0; i < serving_stats::max_data_types + 100; ++i)
        ++s.of("type" + std::to_string(i)).unscored;
    REQUIRE(s.all().size() == serving_stats::max_data_types + 1);
    REQUIRE(s.find(serving_stats::overflow_key)->unscored == 100);
    REQUIRE(s.find("type0")->unscored == 1);
    ++s.of("type0").unscored;  // known types keep their own entry
    REQUIRE(s.find("type0")->unscored == 2);
}
