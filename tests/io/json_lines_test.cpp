#include <scorestream/io/csv.hpp>
#include <scorestream/io/json_lines.hpp>

#include "test_util.hpp"

#include <catch2/catch.hpp>

#include <sstream>
#include <string>

using scorestream::pull;
using scorestream::Value;
using scorestream::io::json_lines_options;
using scorestream::io::json_lines_source;
using scorestream::io::row;

TEST_CASE("io/json_lines: flat objects: numbers keep text, strings, booleans, null", "[io]") {
    std::istringstream in(
        "{\"id\": 1, \"alcohol\": 12.50, \"color\": \"red\", \"organic\": true, \"note\": null}\n"
        "\n"
        "   \n"
        "{\"id\": 18446744073709551615, \"alcohol\": -1e-3, \"color\": \"wh\\u00efte\", \"organic\": false, "
        "\"note\": \"x\"}\n");
    json_lines_source src(in);
    auto d = io_test::drain(src);
    REQUIRE(d.errors.empty());
    REQUIRE(d.items.size() == 2);
    const row& r = d.items[0];
    CHECK(r.schema()->names() == std::vector<std::string>{"id", "alcohol", "color", "organic", "note"});
    CHECK(r.get("id") == Value::number(1));
    CHECK(r.get("alcohol") == Value::number(12.5));
    CHECK(r.get("alcohol").text() == "12.50");
    CHECK(r.get("color") == Value::string("red"));
    CHECK(r.get("organic") == Value::number(1));
    CHECK(r.get("organic").text() == "true");
    CHECK(r.get("note").is_missing());
    CHECK(r.line() == 1);
    const row& r2 = d.items[1];
    CHECK(r2.line() == 4);
    CHECK(r2.get("id").text() == "18446744073709551615");
    CHECK(r2.get("alcohol") == Value::number(-0.001));
    CHECK(r2.get("color").text() == "wh\xc3\xafte");
    CHECK(r2.get("organic") == Value::number(0));
    // same keys in the same order: one shared schema
    CHECK(r.schema().get() == r2.schema().get());
    CHECK(src.layouts() == 1);
}

TEST_CASE("io/json_lines: each distinct key layout gets one cached schema", "[io]") {
    std::istringstream in("{\"a\":1,\"b\":2}\n{\"b\":3}\n{\"a\":4,\"b\":5}\n{\"b\":6}\n{}\n");
    json_lines_source src(in);
    auto d = io_test::drain(src);
    REQUIRE(d.items.size() == 5);
    CHECK(d.items[0].schema() == d.items[2].schema());
    CHECK(d.items[1].schema() == d.items[3].schema());
    CHECK(d.items[0].schema() != d.items[1].schema());
    CHECK(d.items[4].size() == 0);
    CHECK(src.layouts() == 3);
    CHECK(d.items[1].get("b") == Value::number(3));
    CHECK(d.items[1].get("a").is_missing());
}

TEST_CASE("io/json_lines: bad JSON is an error naming file and line, reading goes on", "[io]") {
    io_test::temp_dir dir("json_bad");
    auto path = dir / "in.jsonl";
    io_test::write_file(
        path, "{\"a\":1}\n{\"a\": tru}\n[1,2]\n42\n{\"a\":2} trailing\n{\"a\":1,\"a\":2}\n{\"a\":3}\n");
    json_lines_source src(path);
    auto d = io_test::drain(src);
    REQUIRE(d.items.size() == 2);
    CHECK(d.items[1].get("a") == Value::number(3));
    CHECK(d.items[1].line() == 7);
    REQUIRE(d.errors.size() == 5);
    for (const auto& e : d.errors) CHECK(e.source == path.string());
    CHECK(d.errors[0].where == "line 2");
    CHECK_THAT(d.errors[0].message,
               Catch::StartsWith("invalid JSON at byte ") && Catch::Contains("invalid literal"));
    CHECK(d.errors[0].raw == "{\"a\": tru}");
    CHECK(d.errors[1].where == "line 3");
    CHECK(d.errors[1].message == "expected a JSON object, got an array");
    CHECK(d.errors[2].where == "line 4");
    CHECK(d.errors[2].message == "expected a JSON object, got a single value");
    CHECK(d.errors[3].where == "line 5");
    CHECK_THAT(d.errors[3].message, Catch::StartsWith("invalid JSON"));
    CHECK(d.errors[4].where == "line 6");
    CHECK(d.errors[4].message == "duplicate key 'a'");
}

TEST_CASE("io/json_lines: nested values are an error naming the field, or their JSON text", "[io]") {
    const std::string text = "{\"a\":1,\"inner\":{\"x\":[1,2]},\"list\":[true,null]}\n{\"a\":2}\n";
    {
        std::istringstream in(text);
        json_lines_source src(in);
        auto d = io_test::drain(src);
        REQUIRE(d.errors.size() == 1);
        CHECK(d.errors[0].message == "field 'inner' holds an object; only flat objects are supported");
        REQUIRE(d.items.size() == 1);
    }
    {
        std::istringstream in(text);
        json_lines_options o;
        o.nested = scorestream::io::json_nested::as_text;
        json_lines_source src(in, o);
        auto d = io_test::drain(src);
        REQUIRE(d.errors.empty());
        REQUIRE(d.items.size() == 2);
        CHECK(d.items[0].get("inner") == Value::string("{\"x\":[1,2]}"));
        CHECK(d.items[0].get("list") == Value::string("[true,null]"));
        CHECK(d.items[0].get("a") == Value::number(1));
    }
}

TEST_CASE("io/json_lines: data type field with fallback, missing data type is an error", "[io]") {
    const std::string text = "{\"kind\":\"red\",\"x\":1}\n{\"x\":2}\n{\"kind\":null,\"x\":3}\n";
    {
        std::istringstream in(text);
        json_lines_options o;
        o.data_type_field = "kind";
        json_lines_source src(in, o);
        auto d = io_test::drain(src);
        REQUIRE(d.items.size() == 1);
        CHECK(d.items[0].data_type() == "red");
        REQUIRE(d.errors.size() == 2);
        CHECK(d.errors[0].message == "no 'kind' field (the data type)");
        CHECK(d.errors[1].message == "empty or null 'kind' field (the data type)");
    }
    {
        std::istringstream in(text);
        json_lines_options o;
        o.data_type_field = "kind";
        o.data_type = "white";
        json_lines_source src(in, o);
        auto d = io_test::drain(src);
        REQUIRE(d.items.size() == 3);
        CHECK(d.items[0].data_type() == "red");
        CHECK(d.items[1].data_type() == "white");
        CHECK(d.items[2].data_type() == "white");
        CHECK(scorestream::record_traits<row>::data_type(d.items[2]) == "white");
    }
}

TEST_CASE("io/json_lines: a layout beyond max_layouts is an error, not a dropped schema", "[io]") {
    std::istringstream in("{\"a\":1}\n{\"b\":1}\n{\"c\":1}\n{\"a\":2}\n");
    json_lines_options o;
    o.max_layouts = 2;
    json_lines_source src(in, o);
    auto d = io_test::drain(src);
    REQUIRE(d.items.size() == 3);
    REQUIRE(d.errors.size() == 1);
    CHECK(d.errors[0].where == "line 3");
    CHECK(d.errors[0].message == "more than 2 distinct key layouts (json_lines_options::max_layouts)");
}

TEST_CASE("io/json_lines: unreadable file is an error, then the source ends", "[io]") {
    io_test::temp_dir dir("json_unreadable");
    json_lines_source src(dir / "missing.jsonl");
    row r;
    REQUIRE(src.next(r) == pull::error);
    CHECK(src.error().source == (dir / "missing.jsonl").string());
    CHECK(src.error().message == "cannot open: no such file");
    CHECK(src.next(r) == pull::end);
}

TEST_CASE("io/json_lines: scored results sink writes model, version, status, score, outputs, reason",
          "[io]") {
    std::istringstream in("{\"kind\":\"red\",\"x\":1.50}\n");
    json_lines_options o;
    o.data_type_field = "kind";
    o.name = "in.jsonl";
    json_lines_source src(in, o);
    row r;
    REQUIRE(src.next(r) == pull::item);
    auto model =
        std::make_shared<io_test::fixed_model>("quality", "v2", std::vector<std::string>{"p_low", "p_high"});
    std::ostringstream out;
    scorestream::io::scored_json_options so;
    so.record_fields = {"x", "absent"};
    scorestream::io::scored_json_lines_sink<row> sink(out, so);
    sink(io_test::scored(r, model, Value::number(0.25), {Value::number(0.75), Value::string("hi\"gh")}));
    sink(io_test::unscored(r, "no model for data type 'red'"));
    sink.flush();
    CHECK(out.str() ==
          "{\"data_type\":\"red\",\"origin\":\"in.jsonl:1\",\"record\":{\"x\":1.5,\"absent\":null},"
          "\"model\":\"quality\",\"version\":\"v2\",\"status\":\"scored\",\"score\":0.25,"
          "\"outputs\":{\"p_low\":0.75,\"p_high\":\"hi\\\"gh\"},\"reason\":\"\",\"duration_ns\":1500}\n"
          "{\"data_type\":\"red\",\"origin\":\"in.jsonl:1\",\"record\":{\"x\":1.5,\"absent\":null},"
          "\"model\":\"\",\"version\":\"\",\"status\":\"no_model\",\"score\":null,\"outputs\":{},"
          "\"reason\":\"no model for data type 'red'\",\"duration_ns\":0}\n");
    // the output is valid JSON lines: read it back
    std::istringstream back(out.str());
    json_lines_options bo;
    bo.nested = scorestream::io::json_nested::as_text;
    json_lines_source again(back, bo);
    auto d = io_test::drain(again);
    REQUIRE(d.items.size() == 2);
    CHECK(d.items[0].get("score") == Value::number(0.25));
    CHECK(d.items[1].get("score").is_missing());
}

TEST_CASE("io/json_lines_sink: rows of any layout, read back equal", "[io]") {
    std::istringstream in("a,b,c\n1.50,\"x \"\"y\"\"\",NA\n");
    scorestream::io::csv_source csv(in);
    row r;
    REQUIRE(csv.next(r) == pull::item);
    row other(scorestream::io::row_schema::make({"z"}));
    other.push_string("\xff bad utf-8");
    std::ostringstream out;
    scorestream::io::json_lines_sink sink(out);
    sink(r);
    sink(other);
    sink.flush();
    CHECK(out.str() == "{\"a\":1.5,\"b\":\"x \\\"y\\\"\",\"c\":null}\n{\"z\":\"\xEF\xBF\xBD bad utf-8\"}\n");
    std::istringstream back(out.str());
    json_lines_source again(back);
    auto d = io_test::drain(again);
    REQUIRE(d.items.size() == 2);
    CHECK(d.items[0] == r);
    CHECK(sink.rows_written() == 2);
}
