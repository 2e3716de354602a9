// The scorestream-pmml tool's cells as text (src/pmml/cli/csv.hpp): empty cells and missing-value
// markers become missing values, every other cell its text, whatever it holds.

#include "csv.hpp"

#include <catch2/catch.hpp>

#include <cmath>
#include <string>
#include <vector>

using scorestream::pmml::tools::Markers;
using scorestream::pmml::tools::text_value;

TEST_CASE("tool cells as text: markers and empty cells are missing, the rest is text", "[pmml][csv]") {
    const std::vector<std::string> list = {"NA", "N/A", "", std::string(70, 'x')};
    const Markers markers(list);
    const std::vector<std::string> missing = {"", "NA", "N/A", std::string(70, 'x')};
    const std::vector<std::string> text = {"38",
                                           "5.1",
                                           "N",
                                           "NAN",
                                           "na",
                                           "NA ",
                                           " NA",
                                           "N/B",
                                           "0",
                                           "-1",
                                           "NB",
                                           "MA",
                                           "Private",
                                           "nan",
                                           "1e5",
                                           "N/AA",
                                           std::string(70, 'y'),
                                           std::string(69, 'x'),
                                           std::string(71, 'x')};
    for (const auto& c : missing) {
        INFO(c);
        CHECK(text_value(c, markers).is_missing());
        CHECK(text_value(c, list).is_missing());
    }
    for (const auto& c : text) {
        INFO(c);
        auto v = text_value(c, markers);
        REQUIRE(v.is_string());
        CHECK(v.text() == c);
        CHECK(v.text().data() == c.data());  // a view of the cell, not a copy
        CHECK(text_value(c, list) == v);
    }
    // A custom marker replaces the defaults.
    const Markers dash(std::vector<std::string>{"-"});
    CHECK(text_value("-", dash).is_missing());
    CHECK(text_value("NA", dash).is_string());
    CHECK(text_value("-1", dash).is_string());
}

TEST_CASE("tool output cells: numbers shortest and exact, NaN and infinities as PMML spells them",
          "[pmml][csv]") {
    using scorestream::Value;
    using scorestream::pmml::tools::value_text;
    CHECK(value_text(Value::number(0.1)) == "0.1");
    CHECK(value_text(Value::number(-2.5e-310)) == "-2.5e-310");
    CHECK(value_text(Value::number(std::nan(""))) == "NaN");
    CHECK(value_text(Value::number(-std::nan(""))) == "NaN");
    CHECK(value_text(Value::number(HUGE_VAL)) == "Infinity");
    CHECK(value_text(Value::number(-HUGE_VAL)) == "-Infinity");
    CHECK(value_text(Value::missing()).empty());
    CHECK(value_text(Value::string("a,b")) == "a,b");  // (csv_cell quotes it when written)
}
