// The code samples of docs/io.md, compiled and run. Keep the two in step.

#include <scorestream/io/csv.hpp>
#include <scorestream/io/json_lines.hpp>
#include <scorestream/io/model_directory.hpp>
#include <scorestream/io/protobuf.hpp>
#include <scorestream/scorestream.hpp>
#include <support/linear_model.hpp>

#include "test_util.hpp"

#include <catch2/catch.hpp>

#include <chrono>
#include <filesystem>
#include <functional>
#include <iostream>
#include <string>
#include <vector>

namespace {

/// Runs a test inside a directory and restores the working directory afterwards.
class in_directory {
public:
    explicit in_directory(const std::filesystem::path& p) : old_(std::filesystem::current_path()) {
        std::filesystem::current_path(p);
    }
    ~in_directory() { std::filesystem::current_path(old_); }
    in_directory(const in_directory&) = delete;
    in_directory& operator=(const in_directory&) = delete;

private:
    std::filesystem::path old_;
};

}  // namespace

TEST_CASE("io/docs: the samples of docs/io.md run", "[io]") {
    using namespace scorestream;
    using scorestream::pull;
    io_test::temp_dir dir("docs");
    io_test::write_file(dir / "wines.csv", "id,kind,x\n1,wine,2\n2,wine\n3,wine,4\n");
    io_test::write_file(dir / "events.jsonl", "{\"kind\":\"wine\",\"x\":1}\n");
    io_test::write_file(dir / "models/wine/quality@3.lin", "bias 1\nw x 10\n");
    in_directory here(dir.path());
    ModelRegistry registry;
    registry.add(std::make_shared<scorestream::testing::linear_factory>());
    std::vector<io::row> used;
    auto use = [&](const io::row& r) { used.push_back(r); };
    std::ostringstream cerr;  // stands for std::cerr in the samples

    // --- CSV
    io::csv_options o;
    o.data_type_column = "kind";  // routing key per row
    {
        io::csv_source src("wines.csv", o);
        io::row r;
        for (pull p; (p = src.next(r)) != pull::end;) {
            if (p == pull::error)
                cerr << src.error().to_string() << '\n';  // wines.csv:line 3: expected 3 cells, got 2
            else
                use(r);
        }
    }
    CHECK(cerr.str() == "wines.csv:line 3: expected 3 cells, got 2\n");
    CHECK(used.size() == 2);

    // --- scored CSV, with models from a file of descriptors
    {
        io::delimited_writer w("models.bin");
        w.write(scorestream::testing::linear_descriptor("wine", "lin", "1", "bias 0\nw x 1\n"));
    }
    {
        io::descriptor_file_source models("models.bin");
        io::scored_csv_options so;
        so.record_columns = {"id", "kind"};  // any record type with record_traits
        io::scored_csv_sink<io::row> out("scored.csv", so);
        auto p = io::csv_source("wines.csv", o) | join(std::move(models), registry) | score() |
                 sink(std::ref(out));
        p.on_error([](error_kind, const record_error&) {});
        p.run();
    }
    CHECK(io_test::read_file(dir / "scored.csv") ==
          "id,kind,model_name,model_version,status,score,reason\n1,wine,lin,1,scored,2,\n3,wine,lin,1,scored,"
          "4,\n");

    // --- JSON lines
    {
        io::json_lines_options jo;
        jo.data_type_field = "kind";
        io::json_lines_source src("events.jsonl", jo);
        auto d = io_test::drain(src);
        REQUIRE(d.items.size() == 1);
        CHECK(d.items[0].data_type() == "wine");
    }

    // --- model directory
    {
        io::model_directory_options mo;
        mo.extensions = {{".pmml", "pmml"}, {".lin", "linear"}};  // extension -> factory
        mo.interval = std::chrono::seconds(2);
        io::model_directory_source models("models", mo);
        io::scored_csv_sink<io::row> out("scored2.csv");
        auto p = io::csv_source("wines.csv", o) | join(std::move(models), registry) | score() |
                 sink(std::ref(out));
        p.on_error([](error_kind, const record_error&) {});
        p.run();
    }
    CHECK(io_test::read_file(dir / "scored2.csv") ==
          "model_name,model_version,status,score,reason\nquality,3,scored,21,\nquality,3,scored,41,\n");
}
