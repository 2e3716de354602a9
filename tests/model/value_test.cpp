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

namespace {
// One member of every plain type a binding reads by offset, plus members it must call for.
struct sensor {
    std::uint8_t channel = 0;
    bool active = false;
    float gain = 0;
    std::int16_t offset = 0;
    std::int32_t count = 0;
    std::int64_t ticks = 0;
    std::uint16_t port = 0;
    std::uint32_t mask = 0;
    std::uint64_t serial = 0;
    std::int8_t trim = 0;
    double level = 0;
    std::string label;
    std::optional<double> calibrated;
};
}  // namespace

template <>
struct scorestream::record_traits<sensor> : scorestream::struct_record<sensor> {
    static const field_table<sensor>& fields() {
        static const auto table =
            field_table<sensor>{}
                .add<&sensor::channel>("channel")
                .add<&sensor::active>("active")
                .add<&sensor::gain>("gain")
                .add<&sensor::offset>("offset")
                .add<&sensor::count>("count")
                .add<&sensor::ticks>("ticks")
                .add<&sensor::port>("port")
                .add<&sensor::mask>("mask")
                .add<&sensor::serial>("serial")
                .add<&sensor::trim>("trim")
                .add<&sensor::level>("level")
                .add<&sensor::label>("label")
                .add<&sensor::calibrated>("calibrated")
                .add("level_x2", [](const sensor& s) { return Value::number(s.level * 2); });
        return table;
    }
};

TEST_CASE("struct fields are read by offset or through the table, with their values intact",
          "[model][record]") {
    using kind = field_access::kind;
    const sensor sample;
    const auto& t = record_traits<sensor>::fields();
    const std::vector<std::pair<std::string, kind>> expected_kinds = {
        {"channel", kind::u8},      {"active", kind::boolean}, {"gain", kind::f32},  {"offset", kind::i16},
        {"count", kind::i32},       {"ticks", kind::i64},      {"port", kind::u16},  {"mask", kind::u32},
        {"serial", kind::u64},      {"trim", kind::i8},        {"level", kind::f64}, {"label", kind::string},
        {"calibrated", kind::call}, {"level_x2", kind::call}};
    for (const auto& [name, k] : expected_kinds) {
        INFO(name);
        REQUIRE(t.access(sample, *t.index_of(name)).how == k);
    }

    sensor s;
    s.channel = 200;
    s.active = true;
    s.gain = 0.5f;
    s.offset = -300;
    s.count = -70000;
    s.ticks = -(std::int64_t{1} << 40);
    s.port = 65000;
    s.mask = 4000000000u;
    s.serial = std::uint64_t{1} << 52;
    s.trim = -5;
    s.level = 0.1;
    s.label = "north";
    const std::vector<std::string> inputs = {"level", "label",  "calibrated", "channel",  "active",
                                             "gain",  "offset", "count",      "ticks",    "port",
                                             "mask",  "serial", "trim",       "level_x2", "nothing"};
    auto b = feature_binding::resolve(s, inputs);
    REQUIRE_FALSE(b.all_f64);
    std::vector<Value> row(inputs.size());
    b.gather(s, row);
    CHECK(row[0] == Value::number(0.1));
    CHECK(row[1] == Value::string("north"));
    CHECK(row[2].is_missing());
    CHECK(row[3] == Value::number(200));
    CHECK(row[4] == Value::number(1));
    CHECK(row[5] == Value::number(0.5));
    CHECK(row[6] == Value::number(-300));
    CHECK(row[7] == Value::number(-70000));
    CHECK(row[8] == Value::number(-1099511627776.0));
    CHECK(row[9] == Value::number(65000));
    CHECK(row[10] == Value::number(4000000000.0));
    CHECK(row[11] == Value::number(4503599627370496.0));
    CHECK(row[12] == Value::number(-5));
    CHECK(row[13] == Value::number(0.2));
    CHECK(row[14].is_missing());
    // Every read agrees with the table's own getter.
    for (std::size_t k = 0; k + 1 < inputs.size(); ++k) CHECK(row[k] == t.get(s, *t.index_of(inputs[k])));

    // A field that changes between records is read afresh (no value is cached in the binding).
    s.calibrated = 7.25;
    s.label = "a much longer label that does not fit in the small-string buffer";
    b.gather(s, row);
    CHECK(row[1] == Value::string(s.label));
    CHECK(row[2] == Value::number(7.25));

    // All-double bindings take the offsets-only path and give the same values.
    auto d = feature_binding::resolve(s, {"level", "level"});
    REQUIRE(d.all_f64);
    std::vector<Value> two(2);
    d.gather(s, two);
    CHECK(two[0] == Value::number(0.1));
    CHECK(two[1] == Value::number(0.1));
}
