#include <catch2/catch.hpp>
#include <scorestream/model/record.hpp>
#include <scorestream/model/value.hpp>

#include <optional>

using namespace scorestream;

TEST_CASE("values are numbers, strings or missing", "[model][value]") {
    REQUIRE(Value().is_missing());
    REQUIRE(Value::number(2.5).as_number() == 2.5);
    REQUIRE(Value::number(1, "1").text() == "1");
    REQUIRE(Value::string("red").text() == "red");
    REQUIRE(Value::number(1) == Value::number(1));
    REQUIRE(Value::number(1) != Value::string("1"));
    REQUIRE(to_string(Value::number(0.1)) == "0.1");
    REQUIRE(to_string(Value::missing()) == "<missing>");
}

namespace {
struct reading {
    double temperature = 0;
    std::string room;
    std::optional<int> floor;
};
}  // namespace

template <>
struct scorestream::record_traits<reading> : scorestream::struct_record<reading> {
    static const field_table<reading>& fields() {
        static const auto table =
            field_table<reading>{}
                .add<&reading::temperature>("temperature")
                .add<&reading::room>("room")
                .add<&reading::floor>("floor")
                .add("fahrenheit", [](const reading& r) { return Value::number(r.temperature * 1.8 + 32); });
        return table;
    }
};

TEST_CASE("user structs bind through a field table, once per schema", "[model][record]") {
    reading r{21.5, "kitchen", std::nullopt};
    auto b = feature_binding::resolve(r, {"room", "fahrenheit", "humidity", "floor", "temperature"});
    REQUIRE(b.absent == std::vector<std::string>{"humidity"});
    std::vector<Value> row(5);
    b.gather(r, row);
    REQUIRE(row[0] == Value::string("kitchen"));
    REQUIRE(row[1].as_number() == Approx(70.7));
    REQUIRE(row[2].is_missing());
    REQUIRE(row[3].is_missing());
    REQUIRE(row[4] == Value::number(21.5));
    r.floor = 3;
    b.gather(r, row);
    REQUIRE(row[3] == Value::number(3));
    REQUIRE(b.schema == record_traits<reading>::schema(r));
}
