#include <catch2/catch.hpp>

#include "thermostat/thermostat.hpp"

#include <vector>

using namespace thermostat;

TEST_CASE("the thermostat switches heaters from readings and changing settings",
          "[stream][join][thermostat]") {
    scorestream::script<reading, setting> s;
    s.data({"hall", 15})  // no setting yet: nothing happens
        .control({"hall", 20, 1, 1})
        .data({"hall", 18.5})  // below 19: on
        .data({"hall", 19.5})  // inside the band: no change
        .data({"hall", 21.5})  // above 21: off
        .control({"attic", 10, 0.5, 0.5})
        .data({"attic", 9})               // attic on
        .control({"hall", 22, 0.5, 0.5})  // warmer wanted
        .data({"hall", 21.4})             // now below 21.5: on
        .control({"hall", 99, 0, 0})      // out of range: rejected, hall keeps 22
        .data({"hall", 22.6});            // above 22.5: off
    std::vector<command> got;
    int rejected = 0;
    auto p = make_pipeline(s.data_source(), s.control_source(), [&](const command& c) { got.push_back(c); });
    p.on_error([&](scorestream::error_kind k, const scorestream::record_error&) {
        rejected += k == scorestream::error_kind::rejected_update;
    });
    p.run();
    REQUIRE(got.size() == 5);
    auto is = [](const command& c, const char* sensor, heater h, double desired) {
        return c.sensor == sensor && c.state == h && c.desired == desired;
    };
    CHECK(is(got[0], "hall", heater::on, 20));
    CHECK(is(got[1], "hall", heater::off, 20));
    CHECK(is(got[2], "attic", heater::on, 10));
    CHECK(is(got[3], "hall", heater::on, 22));
    CHECK(is(got[4], "hall", heater::off, 22));
    REQUIRE(rejected == 1);
}
