#include <scorestream/io/row.hpp>

#include <catch2/catch.hpp>

#include <string>
#include <utility>
#include <vector>

using scorestream::Value;
using scorestream::io::row;
using scorestream::io::row_schema;

namespace {
row sample_row() {
    auto schema = row_schema::make({"a", "b", "c"}, {"data.csv", "", "wine"});
    row r(schema, 7);
    r.push_number(1.5, "1.50");
    r.push_string("x");  // short: lives in the string's inline (SSO) buffer
    r.push_missing();
    return r;
}
}  // namespace

TEST_CASE("io/row: values, lookup by name, origin", "[io]") {
    row r = sample_row();
    REQUIRE(r.size() == 3);
    CHECK(r[0] == Value::number(1.5));
    CHECK(r[0].text() == "1.50");
    CHECK(r[1] == Value::string("x"));
    CHECK(r[2].is_missing());
    CHECK(r[3].is_missing());  // out of range reads as missing
    CHECK(r.get("b") == Value::string("x"));
    CHECK(r.get("nope").is_missing());
    CHECK(r.origin() == "data.csv:7");
    CHECK(r.data_type() == "wine");
}

TEST_CASE("io/row: copies and moves keep values valid (short strings included)", "[io]") {
    row original = sample_row();
    row copy = original;
    row moved = std::move(original);
    original = sample_row();  // reuse the moved-from object
    std::vector<row> many;
    for (int i = 0; i < 50; ++i) many.push_back(copy);  // vector growth moves rows around
    for (const row* r : {&copy, &moved, &original, &many.front(), &many.back()}) {
        CHECK((*r)[1].text() == "x");
        CHECK((*r)[0].text() == "1.50");
    }
    copy.set(1, Value::string("a much longer string that does not fit inline"));
    CHECK(moved[1].text() == "x");
    CHECK(copy[1].text() == "a much longer string that does not fit inline");
}

TEST_CASE("io/row: assign keeps the schema shared and resets values", "[io]") {
    row r = sample_row();
    auto schema = r.schema();
    r.assign(schema, 8);
    CHECK(r.empty());
    CHECK(r.line() == 8);
    CHECK(r.schema().get() == schema.get());
    CHECK(scorestream::record_traits<row>::schema(r) == schema.get());
}

TEST_CASE("io/row: data type from a field, with the fixed value as fallback", "[io]") {
    auto schema = row_schema::make({"kind", "x"}, {"s", "kind", "default"});
    row r(schema);
    r.push_string("red");
    r.push_number(1);
    CHECK(scorestream::record_traits<row>::data_type(r) == "red");
    r.set(0, Value::missing());
    CHECK(r.data_type() == "default");
    CHECK(scorestream::has_data_type_v<row>);
}

TEST_CASE("io/row_schema: duplicate names are refused, lookup is exact", "[io]") {
    CHECK_THROWS_AS(row_schema::make({"a", "b", "a"}), scorestream::invalid_value_error);
    auto s = row_schema::make({"z", "a", "m"});
    CHECK(s->index_of("z") == 0u);
    CHECK(s->index_of("a") == 1u);
    CHECK(s->index_of("m") == 2u);
    CHECK_FALSE(s->index_of("b"));
}

TEST_CASE("io/row: binding through record_traits resolves names once", "[io]") {
    row r = sample_row();
    auto b = scorestream::feature_binding::resolve(r, {"c", "a", "missing_input"});
    REQUIRE(b.absent == std::vector<std::string>{"missing_input"});
    std::vector<Value> features(3);
    b.gather(r, features);
    CHECK(features[0].is_missing());
    CHECK(features[1] == Value::number(1.5));
    CHECK(features[2].is_missing());
}
