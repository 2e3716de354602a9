#include <scorestream/io/csv.hpp>

#include "test_util.hpp"

#include <catch2/catch.hpp>

#include <sstream>
#include <string>

using scorestream::pull;
using scorestream::Value;
using scorestream::io::csv_options;
using scorestream::io::csv_source;
using scorestream::io::row;

TEST_CASE("io/csv: header, numbers keep their text, strings, missing markers", "[io]") {
    std::istringstream in("id,alcohol,color,note\n1,12.50,red,NA\n2,-3e2,white,\n");
    csv_source src(in);
    auto d = io_test::drain(src);
    REQUIRE(d.errors.empty());
    REQUIRE(d.items.size() == 2);
    const row& r = d.items[0];
    CHECK(r.schema()->names() == std::vector<std::string>{"id", "alcohol", "color", "note"});
    CHECK(r[1] == Value::number(12.5));
    CHECK(r[1].text() == "12.50");
    CHECK(r[2] == Value::string("red"));
    CHECK(r[3].is_missing());
    CHECK(r.line() == 2);
    CHECK(r.source() == "<stream>");
    CHECK(d.items[1][1] == Value::number(-300));
    CHECK(d.items[1][3].is_missing());
    // every row of the file shares one schema object, so binding happens once
    CHECK(d.items[0].schema().get() == d.items[1].schema().get());
}

TEST_CASE("io/csv: RFC 4180 quoting: escaped quotes, separators and line breaks inside quotes", "[io]") {
    std::istringstream in("a,b,c\r\n\"x,y\",\"say \"\"hi\"\"\",\"two\nlines\"\r\n\"3\",,\"\"\r\n4,5,6\n");
    csv_source src(in);
    auto d = io_test::drain(src);
    REQUIRE(d.errors.empty());
    REQUIRE(d.items.size() == 3);
    CHECK(d.items[0][0].text() == "x,y");
    CHECK(d.items[0][1].text() == "say \"hi\"");
    CHECK(d.items[0][2].text() == "two\nlines");
    CHECK(d.items[0].line() == 2);
    CHECK(d.items[1][0] == Value::number(3));  // quoted numbers are numbers by default
    CHECK(d.items[1][1].is_missing());
    CHECK(d.items[1][2].is_missing());
    CHECK(d.items[1].line() == 4);  // the quoted line break counted as a line
    CHECK(d.items[2][2] == Value::number(6));
}

TEST_CASE("io/csv: number recognition is exact and strict", "[io]") {
    std::istringstream in("v\n0.1\n 7 \n+2\n1e400\nnan\ninf\n1.5x\n0x10\n007\n-\n");
    csv_source src(in);
    auto d = io_test::drain(src);
    REQUIRE(d.items.size() == 10);
    CHECK(d.items[0][0].as_number() == 0.1);  // correctly rounded, same double as the literal
    CHECK(d.items[1][0] == Value::number(7));
    CHECK(d.items[1][0].text() == "7");
    CHECK(d.items[2][0] == Value::number(2));
    for (int i : {3, 4, 5, 6, 7, 9}) CHECK(d.items[i][0].is_string());
    CHECK(d.items[8][0] == Value::number(7));
    CHECK(d.items[8][0].text() == "007");  // text kept for categorical use
}

TEST_CASE("io/csv: options: separator, missing markers, quoted strings, trim, data type column", "[io]") {
    csv_options o;
    o.separator = ';';
    o.missing_values = {"?"};
    o.quoted_are_strings = true;
    o.trim = true;
    o.data_type_column = "kind";
    o.data_type = "fallback";
    o.name = "custom-name";
    std::istringstream in("kind;x;y\nred; a ;\"12\"\n?;?;\n");
    csv_source src(in, o);
    auto d = io_test::drain(src);
    REQUIRE(d.errors.empty());
    REQUIRE(d.items.size() == 2);
    CHECK(d.items[0].data_type() == "red");
    CHECK(d.items[0][1] == Value::string("a"));
    CHECK(d.items[0][2] == Value::string("12"));
    CHECK(d.items[1].data_type() == "fallback");
    CHECK(d.items[1][1].is_missing());
    CHECK(d.items[1][2] == Value::string(""));  // "" is not a missing marker here
    CHECK(d.items[1].source() == "custom-name");
}

TEST_CASE("io/csv: headerless input with configured columns, blank lines skipped", "[io]") {
    csv_options o;
    o.header = false;
    o.columns = {"a", "b"};
    std::istringstream in("1,2\n\n3,4\n");
    csv_source src(in, o);
    auto d = io_test::drain(src);
    REQUIRE(d.items.size() == 2);
    CHECK(d.items[1][1] == Value::number(4));
    CHECK(d.items[1].line() == 3);
    csv_options bad;
    bad.header = false;
    CHECK_THROWS_AS(csv_source(in, bad), scorestream::invalid_value_error);
}

TEST_CASE("io/csv: a row with the wrong cell count is an error naming file and line, reading goes on",
          "[io]") {
    io_test::temp_dir dir("csv_cells");
    auto path = dir / "data.csv";
    io_test::write_file(path, "a,b\n1,2\n3\n4,5,6\n7,8\n");
    csv_source src(path);
    auto d = io_test::drain(src);
    REQUIRE(d.items.size() == 2);
    REQUIRE(d.errors.size() == 2);
    CHECK(d.order == std::vector<pull>{pull::item, pull::error, pull::error, pull::item});
    CHECK(d.errors[0].source == path.string());
    CHECK(d.errors[0].where == "line 3");
    CHECK(d.errors[0].message == "expected 2 cells, got 1");
    CHECK(d.errors[0].raw == "3");
    CHECK(d.errors[1].where == "line 4");
    CHECK(d.errors[0].to_string() == path.string() + ":line 3: expected 2 cells, got 1");
    CHECK(d.items[1][1] == Value::number(8));
}

TEST_CASE("io/csv: an unterminated quote costs only its own line", "[io]") {
    std::istringstream in("a,b\n1,\"open\n2,3\n4,5\n");
    csv_source src(in);
    auto d = io_test::drain(src);
    REQUIRE(d.errors.size() == 1);
    CHECK(d.errors[0].where == "line 2");
    CHECK(d.errors[0].message == "unterminated quoted cell 2");
    CHECK(d.errors[0].raw == "1,\"open\n2,3\n4,5");
    REQUIRE(d.items.size() == 2);
    CHECK(d.items[0][0] == Value::number(2));
    CHECK(d.items[0].line() == 3);
    CHECK(d.items[1][0] == Value::number(4));
}

TEST_CASE("io/csv: a quoted cell over the size limit is an error, following lines are re-read", "[io]") {
    csv_options o;
    o.max_record_bytes = 8;
    std::istringstream in("a,b\n1,\"runaway\n2,3\n4,5\n6,7\n");
    csv_source src(in, o);
    auto d = io_test::drain(src);
    REQUIRE(d.errors.size() == 1);
    CHECK(d.errors[0].message == "quoted cell 2 is not closed within 8 bytes");
    REQUIRE(d.items.size() == 3);
    CHECK(d.items[0].line() == 3);
    CHECK(d.items[2].line() == 5);
}

TEST_CASE("io/csv: text after a closing quote is an error", "[io]") {
    std::istringstream in("a,b\n\"x\"y,1\n2,3\n");
    csv_source src(in);
    auto d = io_test::drain(src);
    REQUIRE(d.errors.size() == 1);
    CHECK(d.errors[0].where == "line 2");
    CHECK(d.errors[0].message == "unexpected character 'y' after the closing quote of cell 1");
    REQUIRE(d.items.size() == 1);
}

TEST_CASE("io/csv: unreadable file, empty file, bad header", "[io]") {
    io_test::temp_dir dir("csv_files");
    {
        csv_source src(dir / "does-not-exist.csv");
        row r;
        REQUIRE(src.next(r) == pull::error);
        CHECK(src.error().source == (dir / "does-not-exist.csv").string());
        CHECK(src.error().message == "cannot open: no such file");
        CHECK(src.next(r) == pull::end);
    }
    {
        csv_source src(dir.path());  // a directory
        row r;
        REQUIRE(src.next(r) == pull::error);
        CHECK(src.error().message == "cannot open: is a directory");
        CHECK(src.next(r) == pull::end);
    }
    {
        std::istringstream in("");
        csv_source src(in);
        row r;
        REQUIRE(src.next(r) == pull::error);
        CHECK(src.error().message == "empty input: expected a header row");
        CHECK(src.next(r) == pull::end);
    }
    {
        std::istringstream in("a,b,a\n1,2,3\n");
        csv_source src(in);
        row r;
        REQUIRE(src.next(r) == pull::error);
        CHECK(src.error().where == "line 1");
        CHECK(src.error().message == "bad header: duplicate field name 'a'");
        CHECK(src.error().raw == "a,b,a");
        CHECK(src.next(r) == pull::end);
    }
    {
        csv_options o;
        o.data_type_column = "kind";
        std::istringstream in("a,b\n1,2\n");
        csv_source src(in, o);
        row r;
        REQUIRE(src.next(r) == pull::error);
        CHECK(src.error().message == "the data type column 'kind' is not in the header");
        CHECK(src.next(r) == pull::end);
    }
}

TEST_CASE("io/csv_sink: round trip through quoting, numbers and missing values", "[io]") {
    std::istringstream in(
        "name,x,note\n\"a,b\",1.50,\"say \"\"hi\"\"\"\nplain,2,NA\n\"multi\nline\",-0.25,\n");
    csv_source src(in);
    auto d = io_test::drain(src);
    REQUIRE(d.items.size() == 3);
    std::ostringstream out;
    scorestream::io::csv_sink sink(out);
    for (const auto& r : d.items) sink(r);
    sink.flush();
    CHECK(out.str() == "name,x,note\n\"a,b\",1.50,\"say \"\"hi\"\"\"\nplain,2,\n\"multi\nline\",-0.25,\n");
    std::istringstream back(out.str());
    csv_source again(back);
    auto d2 = io_test::drain(again);
    REQUIRE(d2.items.size() == 3);
    for (std::size_t i = 0; i < 3; ++i) CHECK(d2.items[i] == d.items[i]);
    CHECK(sink.rows_written() == 3);
}

TEST_CASE("io/csv_sink: later layouts are written by name, extra fields are counted", "[io]") {
    using scorestream::io::row_schema;
    std::ostringstream out;
    scorestream::io::csv_sink sink(out);
    row r1(row_schema::make({"a", "b"}));
    r1.push_number(1);
    r1.push_string("x");
    row r2(row_schema::make({"b", "c"}));
    r2.push_string("y");
    r2.push_number(3);
    sink.write(r1);
    sink.write(r2);
    CHECK(out.str() == "a,b\n1,x\n,y\n");
    CHECK(sink.unwritten_fields() == 1);
}

TEST_CASE("io/csv_sink: an unwritable path throws io_error naming it", "[io]") {
    io_test::temp_dir dir("csv_sink_bad");
    CHECK_THROWS_WITH(scorestream::io::csv_sink(dir / "no/such/dir/out.csv"),
                      Catch::Contains("no/such/dir/out.csv") && Catch::Contains("cannot open"));
}

TEST_CASE("io/scored_csv_sink: record columns, model, status, score, outputs by name, reason", "[io]") {
    std::istringstream in("kind,x,note\nred,1.50,\"a,b\"\n");
    csv_options co;
    co.data_type_column = "kind";
    csv_source src(in, co);
    row r;
    REQUIRE(src.next(r) == pull::item);
    auto v1 =
        std::make_shared<io_test::fixed_model>("quality", "1", std::vector<std::string>{"p_low", "p_high"});
    auto v2 =
        std::make_shared<io_test::fixed_model>("quality", "2", std::vector<std::string>{"p_high", "extra"});

    std::ostringstream out;
    scorestream::io::scored_csv_options so;
    so.record_columns = {"kind", "note", "absent"};
    so.duration = true;
    scorestream::io::scored_csv_sink<row> sink(out, so);
    sink(io_test::scored(r, v1, Value::string("good"), {Value::number(0.25), Value::number(0.75)}));
    sink(io_test::scored(r, v2, Value::number(7), {Value::number(0.5), Value::string("x")}));
    sink(io_test::unscored(r, "no model for data type 'red'"));
    auto failed = io_test::scored(r, v2, Value::missing(), {});
    failed.status = scorestream::score_status::failed;
    failed.prediction.error = "input 'x' is not a number";
    sink(failed);
    sink.flush();
    CHECK(out.str() ==
          "kind,note,absent,model_name,model_version,status,score,p_low,p_high,reason,duration_ns\n"
          "red,\"a,b\",,quality,1,scored,good,0.25,0.75,,1500\n"
          "red,\"a,b\",,quality,2,scored,7,,0.5,,1500\n"
          "red,\"a,b\",,,,no_model,,,,no model for data type 'red',0\n"
          "red,\"a,b\",,quality,2,failed,,,,input 'x' is not a number,1500\n");
    CHECK(sink.rows_written() == 4);
    CHECK(sink.unwritten_outputs() == 1);  // v2's "extra" has no column
}

TEST_CASE("io/scored_csv_sink: configured outputs, and a sink that wrote nothing still has a header",
          "[io]") {
    std::ostringstream out;
    scorestream::io::scored_csv_options so;
    so.outputs = {"p"};
    so.format.separator = ';';
    so.format.missing = "NA";
    scorestream::io::scored_csv_sink<row> sink(out, so);
    sink.flush();
    CHECK(out.str() == "model_name;model_version;status;score;p;reason\n");
    sink(io_test::unscored(row{}, "why; not"));
    CHECK(out.str() == "model_name;model_version;status;score;p;reason\n;;no_model;NA;NA;\"why; not\"\n");
}

TEST_CASE("io/csv: lines joined by a stray quote are read again after the error", "[io]") {
    // line 2 opens a quote that line 4 closes; then 'y' follows the closing quote
    std::istringstream in("a,b\n1,\"x\n2,3\n4,\"y\n5,6\n");
    csv_source src(in);
    auto d = io_test::drain(src);
    REQUIRE(d.errors.size() == 2);
    CHECK(d.errors[0].where == "line 2");
    CHECK(d.errors[0].message == "unexpected character 'y' after the closing quote of cell 2 (line 4)");
    CHECK(d.errors[0].raw == "1,\"x\n2,3\n4,\"y");
    CHECK(d.errors[1].where == "line 4");
    CHECK(d.errors[1].message == "unterminated quoted cell 2");
    REQUIRE(d.items.size() == 2);
    CHECK(d.items[0].line() == 3);
    CHECK(d.items[1].line() == 5);
}

TEST_CASE("io/csv: a multi-line record with the wrong cell count gives its other lines back", "[io]") {
    std::istringstream in("a,b,c\n1,\"x\n2,3,4\n\"\n7,8,9\n");
    csv_source src(in);
    auto d = io_test::drain(src);
    REQUIRE(d.errors.size() == 2);
    CHECK(d.errors[0].where == "line 2");
    CHECK(
        d.errors[0].message ==
        "expected 3 cells, got 2 in a record spanning lines 2-4 (the lines after the first are read again)");
    CHECK(d.errors[1].where == "line 4");
    REQUIRE(d.items.size() == 2);
    CHECK(d.items[0].line() == 3);
    CHECK(d.items[1].line() == 5);
}

TEST_CASE("io/csv: a UTF-8 byte order mark before the header is skipped", "[io]") {
    std::istringstream in("\xEF\xBB\xBFid,x\n1,2\n");
    csv_source src(in);
    auto d = io_test::drain(src);
    REQUIRE(d.items.size() == 1);
    CHECK(d.items[0].get("id") == Value::number(1));
}

TEST_CASE("io/csv_sink: a failing output throws io_error naming it", "[io]") {
    std::istringstream in("a\n1\n");
    csv_source src(in);
    row r;
    REQUIRE(src.next(r) == pull::item);
    std::ostringstream out;
    out.setstate(std::ios::badbit);  // as after a full disk
    scorestream::io::csv_sink sink(out, {}, {}, "results.csv");
    CHECK_THROWS_WITH(sink.write(r), "results.csv: write failed");
    scorestream::io::scored_csv_sink<row> scored(out, {}, "scored.csv");
    CHECK_THROWS_AS(scored.write(io_test::unscored(r, "why")), scorestream::io_error);
}
