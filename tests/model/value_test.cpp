#include <catch2/catch.hpp>
#include <scorestream/detail/bytes.hpp>
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

namespace {
// A record of doubles only, for the gather_into paths: up to four inputs without a loop, more with one.
struct many {
    double a = 0, b = 0, c = 0, d = 0, e = 0, f = 0;
};
}  // namespace

template <>
struct scorestream::record_traits<many> : scorestream::struct_record<many> {
    static const field_table<many>& fields() {
        static const auto table = field_table<many>{}
                                      .add<&many::a>("a")
                                      .add<&many::b>("b")
                                      .add<&many::c>("c")
                                      .add<&many::d>("d")
                                      .add<&many::e>("e")
                                      .add<&many::f>("f");
        return table;
    }
};

TEST_CASE("gather_into a prepared row gives what gather gives, record after record", "[model][record]") {
    const std::vector<std::vector<std::string>> input_sets = {
        {},
        {"c"},
        {"f", "a"},
        {"b", "b", "e"},
        {"d", "c", "b", "a"},
        {"a", "b", "c", "d", "e"},
        {"f", "e", "d", "c", "b", "a", "a"},
    };
    for (const auto& inputs : input_sets) {
        INFO(inputs.size() << " inputs");
        many r;
        auto b = feature_binding::resolve(r, inputs);
        REQUIRE(b.all_f64);
        std::vector<Value> prepared(inputs.size(), Value::missing());
        b.prepare(prepared);
        for (int k = 0; k < 3; ++k) {
            r = many{1.0 + k, 2.5 * k, -3.0 - k, 0.125 * k, 1e300 * k, -0.0};
            std::vector<Value> expected(inputs.size());
            b.gather(r, expected);
            b.gather_into(r, prepared);
            for (std::size_t i = 0; i < inputs.size(); ++i) {
                INFO("input " << inputs[i] << ", record " << k);
                REQUIRE(prepared[i].is_number());
                REQUIRE(prepared[i].text().empty());
                REQUIRE(prepared[i] == expected[i]);
            }
        }
    }

    // Bindings that read more than doubles fill every value on each call, whatever the row held.
    reading m{19.0, "hall", 2};
    auto mixed = feature_binding::resolve(m, {"room", "temperature", "nothing"});
    REQUIRE_FALSE(mixed.all_f64);
    std::vector<Value> row = {Value::number(5), Value::string("stale"), Value::number(1)};
    mixed.prepare(row);
    mixed.gather_into(m, row);
    CHECK(row[0] == Value::string("hall"));
    CHECK(row[1] == Value::number(19.0));
    CHECK(row[2].is_missing());
}

namespace {
// A record type whose layout identity is null: a binding must still resolve for it once.
struct bare {
    double x = 0;
};
}  // namespace

template <>
struct scorestream::record_traits<bare> {
    static const void* schema(const bare&) noexcept { return nullptr; }
    static std::optional<std::size_t> field_index(const bare&, std::string_view name) {
        return name == "x" ? std::optional<std::size_t>(0) : std::nullopt;
    }
    static Value field(const bare& r, std::size_t) noexcept { return Value::number(r.x); }
};

TEST_CASE("a default binding is bound to no layout, not even a null one", "[model][record]") {
    feature_binding unbound;
    REQUIRE(unbound.schema != nullptr);
    bare r{4.5};
    REQUIRE(record_traits<bare>::schema(r) != unbound.schema);  // so the first record resolves it
    auto b = feature_binding::resolve(r, {"x"});
    REQUIRE(b.schema == nullptr);
    std::vector<Value> row(1);
    b.gather(r, row);
    REQUIRE(row[0] == Value::number(4.5));
}

TEST_CASE("same_bytes compares every byte of keys of any length", "[model][bytes]") {
    // Buffers with room on both sides, so the inline word reads of short lengths are checked at
    // their edges: only bytes [0, n) may decide the answer.
    for (std::size_t n = 0; n <= 40; ++n) {
        INFO("length " << n);
        std::string a(n + 16, 'x'), b(n + 16, 'y');
        for (std::size_t i = 0; i < n; ++i) a[8 + i] = b[8 + i] = static_cast<char>('a' + (i * 7) % 26);
        const char* pa = a.data() + 8;
        const char* pb = b.data() + 8;
        REQUIRE(detail::same_bytes(pa, pb, n));
        for (std::size_t i = 0; i < n; ++i) {
            INFO("differs at " << i);
            b[8 + i] = static_cast<char>(b[8 + i] ^ 0x20);
            REQUIRE_FALSE(detail::same_bytes(pa, pb, n));
            b[8 + i] = a[8 + i];
        }
    }
}
