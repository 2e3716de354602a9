// The file connectors in a whole pipeline: records from a CSV file, models from a model directory,
// results to a CSV file, errors to the pipeline's handler.

#include <scorestream/io/csv.hpp>
#include <scorestream/io/json_lines.hpp>
#include <scorestream/io/model_directory.hpp>
#include <scorestream/scorestream.hpp>
#include <support/linear_model.hpp>

#include "test_util.hpp"

#include <catch2/catch.hpp>

#include <chrono>
#include <functional>
#include <string>
#include <vector>

using namespace std::chrono_literals;
namespace io = scorestream::io;
using scorestream::pull;

namespace {

/// Passes a source's items through and calls `hook` after the n-th item: the test's way to change
/// the model directory at an exact point of the data stream.
template <class Source>
struct hooked {
    using value_type = typename Source::value_type;
    Source src;
    std::size_t after;
    std::function<void()> hook;
    std::size_t items = 0;

    pull next(value_type& out) {
        if (items == after && hook) {
            hook();
            hook = nullptr;
        }
        pull p = src.next(out);
        if (p == pull::item) ++items;
        return p;
    }
    const scorestream::record_error& error() const { return src.error(); }
};

}  // namespace

TEST_CASE("io/pipeline: CSV records scored by models from a directory, swapped mid-stream", "[io]") {
    io_test::temp_dir dir("pipeline");
    io_test::write_file(dir / "data.csv",
                        "kind,x,y\n"
                        "wine,1,2\n"
                        "wine,2,2\n"
                        "wine,3\n"  // a bad row: reported with file and line, not scored
                        "wine,3,2\n"
                        "wine,4,2\n"
                        "beer,5,2\n"
                        "wine,NA,2\n");
    io_test::write_file(dir / "models/wine/lin@1.lin", "bias 0\nw x 1\n");

    scorestream::ModelRegistry registry;
    registry.add(std::make_shared<scorestream::testing::linear_factory>());

    std::chrono::steady_clock::time_point now{};
    io::model_directory_options mo;
    mo.extensions = {{".lin", "linear"}};
    mo.clock = [&now] { return now; };
    mo.interval = 1s;
    mo.check_every = 1;
    io::model_directory_source models(dir / "models", mo);

    io::csv_options co;
    co.data_type_column = "kind";
    hooked<io::csv_source> data{
        io::csv_source(dir / "data.csv", co), 2, [&] {
            // after two records: version 2 lands (atomic rename), time passes
            io_test::write_file(dir / "models/wine/lin@2.lin.tmp", "bias 100\nw x 1\n");
            std::filesystem::rename(dir / "models/wine/lin@2.lin.tmp", dir / "models/wine/lin@2.lin");
            now += 1s;
        }};

    io::scored_csv_options so;
    so.record_columns = {"kind", "x"};
    io::scored_csv_sink<io::row> out(dir / "scored.csv", so);

    std::vector<std::string> errors;
    auto p = std::move(data) | scorestream::join(std::move(models), registry) | scorestream::score() |
             scorestream::sink(std::ref(out));
    p.on_error([&](scorestream::error_kind, const scorestream::record_error& e) {
        errors.push_back(e.to_string());
    });
    p.run();

    REQUIRE(errors.size() == 1);
    CHECK(errors[0] == (dir / "data.csv").string() + ":line 4: expected 3 cells, got 2");
    CHECK(io_test::read_file(dir / "scored.csv") ==
          "kind,x,model_name,model_version,status,score,reason\n"
          "wine,1,lin,1,scored,1,\n"
          "wine,2,lin,1,scored,2,\n"
          "wine,3,lin,2,scored,103,\n"
          "wine,4,lin,2,scored,104,\n"
          "beer,5,,,no_model,,no model for data type 'beer'\n"
          "wine,,lin,2,failed,,input 'x' is not a number\n");
    CHECK(p.counters().source_errors == 1);
}

TEST_CASE("io/pipeline: JSON lines in, JSON lines results out, descriptors from a file", "[io]") {
    io_test::temp_dir dir("pipeline_json");
    {
        io::delimited_writer w(dir / "models.bin");
        w.write(scorestream::testing::linear_descriptor("red", "lin", "7", "bias 1\nw x 2\n"));
    }
    std::istringstream in("{\"kind\":\"red\",\"x\":2}\n{oops\n{\"kind\":\"red\",\"x\":3}\n");
    io::json_lines_options jo;
    jo.data_type_field = "kind";
    jo.name = "in.jsonl";
    scorestream::ModelRegistry registry;
    registry.add(std::make_shared<scorestream::testing::linear_factory>());
    std::ostringstream results;
    io::scored_json_lines_sink<io::row> sink(results);
    std::vector<scorestream::record_error> errors;
    auto p = io::json_lines_source(in, jo) |
             scorestream::join(io::descriptor_file_source(dir / "models.bin"), registry) |
             scorestream::score() | scorestream::sink(std::ref(sink));
    p.on_error([&](scorestream::error_kind, const scorestream::record_error& e) { errors.push_back(e); });
    p.run();
    REQUIRE(errors.size() == 1);
    CHECK(errors[0].source == "in.jsonl");
    CHECK(errors[0].where == "line 2");
    CHECK(errors[0].raw == "{oops");
    std::istringstream back(results.str());
    io::json_lines_options bo;
    bo.nested = io::json_nested::as_text;
    io::json_lines_source again(back, bo);
    auto d = io_test::drain(again);
    REQUIRE(d.items.size() == 2);
    CHECK(d.items[0].get("score") == scorestream::Value::number(5));
    CHECK(d.items[1].get("score") == scorestream::Value::number(7));
    CHECK(d.items[1].get("version") == scorestream::Value::string("7"));
    CHECK(d.items[1].get("origin") == scorestream::Value::string("in.jsonl:3"));
}
