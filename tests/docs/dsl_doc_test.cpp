// The code of docs/dsl.md, compiled and run. Every ```cpp block of that page must appear in this
// file verbatim (checked by the ctest docs.dsl_snippets), so the page cannot drift from the code.
#include <catch2/catch.hpp>
#include <scorestream/io/csv.hpp>
#include <scorestream/io/model_directory.hpp>
#include <scorestream/pmml/pmml.hpp>
#include <scorestream/scorestream.hpp>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

using namespace scorestream;

// ---- snippet: records -------------------------------------------------------------------------
struct reading {
    std::string room;
    double celsius = 0;
};

template <>
struct scorestream::record_traits<reading> : scorestream::struct_record<reading> {
    static const field_table<reading>& fields() {
        static const auto table =
            field_table<reading>{}.add<&reading::room>("room").add<&reading::celsius>("celsius");
        return table;
    }
    static std::string_view data_type(const reading&) { return "rooms"; }
};
// ---- end --------------------------------------------------------------------------------------

namespace {
const char* threshold_pmml = R"(<PMML xmlns="http://www.dmg.org/PMML-4_4" version="4.4">
  <DataDictionary>
    <DataField name="celsius" optype="continuous" dataType="double"/>
    <DataField name="heat" optype="continuous" dataType="double"/>
  </DataDictionary>
  <RegressionModel functionName="regression">
    <MiningSchema><MiningField name="celsius"/><MiningField name="heat" usageType="target"/></MiningSchema>
    <RegressionTable intercept="20"><NumericPredictor name="celsius" coefficient="-1"/></RegressionTable>
  </RegressionModel>
</PMML>)";
}  // namespace

TEST_CASE("dsl.md: first pipeline", "[docs]") {
    // ---- snippet: first ----
    std::vector<std::string> out;
    auto p = from(std::vector<int>{1, 2, 3, 4})                   //
             | filter([](int x) { return x % 2 == 0; })           //
             | map([](int x) { return std::to_string(x * 10); })  //
             | sink([&](const std::string& s) { out.push_back(s); });
    p.run();  // out == {"20", "40"}
    // ---- end ----
    REQUIRE(out == std::vector<std::string>{"20", "40"});
}

TEST_CASE("dsl.md: model serving", "[docs]") {
    // ---- snippet: serving ----
    ModelRegistry registry;
    pmml::register_pmml(registry);

    control_queue<ModelDescriptor> models;  // any thread may push model updates
    ModelDescriptor d;
    d.set_name("heating");
    d.set_version("1");
    d.set_data_type("rooms");
    d.set_model_type(proto::PMML);
    d.set_data(threshold_pmml);
    models.push(d);

    std::vector<std::string> lines;
    auto p = from(std::vector<reading>{{"hall", 18}, {"attic", 25}})  //
             | join(models.source(), registry)                        //
             | score()                                                //
             | sink([&](const Scored<reading>& r) {
                   lines.push_back(r.record.room + " " + r.model_name() + "@" + r.model_version() + " " +
                                   to_string(r.prediction.value));
               });
    p.run();  // lines == {"hall heating@1 2", "attic heating@1 -5"}
    // ---- end ----
    REQUIRE(lines == std::vector<std::string>{"hall heating@1 2", "attic heating@1 -5"});
}

TEST_CASE("dsl.md: your own loop", "[docs]") {
    std::vector<int> data(5000, 1);
    auto pipeline = from(data) | sink([](int) {});
    auto do_other_work = [] {};
    // ---- snippet: loop ----
    while (!pipeline.done()) {
        poll_result r = pipeline.poll(1000);  // at most 1000 records, then back to you
        if (r.idle) do_other_work();          // the source had nothing for now
    }
    // ---- end ----
    REQUIRE(pipeline.counters().records_in == 5000);
}

TEST_CASE("dsl.md: a join over your own state", "[docs]") {
    struct setting {
        std::string room;
        double wanted = 20;
    };
    script<reading, setting> s;
    s.control({"hall", 21}).data({"hall", 19.5}).data({"attic", 30});
    auto readings = s.data_source();
    auto settings = s.control_source();
    std::vector<std::string> commands;
    // ---- snippet: state ----
    auto p = readings  //
             | join<setting>(
                   settings,                                                         //
                   [](setting& current, setting&& next) { current = next; },         //
                   key_by([](const reading& r) { return r.room; },                   //
                          [](const setting& s) { return s.room; }))                  //
             | filter([](const Joined<reading, setting>& j) { return j.joined(); })  //
             | map([](Joined<reading, setting>&& j) {
                   return j.record.room + (j.record.celsius < j.state->wanted ? " heat on" : " heat off");
               })  //
             | sink([&](std::string&& c) { commands.push_back(std::move(c)); });
    // ---- end ----
    p.run();
    REQUIRE(commands == std::vector<std::string>{"hall heat on"});
}

TEST_CASE("dsl.md: policies and errors", "[docs]") {
    ModelRegistry registry;
    pmml::register_pmml(registry);
    control_queue<ModelDescriptor> models;
    std::vector<reading> data{{"hall", 18}};
    std::vector<std::string> problems;
    // ---- snippet: policies ----
    model_join_options o;
    o.policy = before_state::hold;  // wait for the first model (bounded: o.max_held)
    o.max_held = 50000;
    auto p = from(data) | join(models.source(), registry, o) | score() | sink([](const Scored<reading>&) {});
    p.on_error([&](error_kind kind, const record_error& e) {
        problems.push_back(std::string(to_string(kind)) + ": " +
                           e.to_string());  // malformed input, rejected updates
    });
    // ---- end ----
    ModelDescriptor bad;
    bad.set_name("heating");
    bad.set_version("2");
    bad.set_data_type("rooms");
    bad.set_model_type(proto::PMML);
    bad.set_data("<PMML");
    models.push(bad);
    p.run();
    REQUIRE(problems.size() == 1);
    REQUIRE_THAT(problems[0],
                 Catch::StartsWith("rejected update: models:key 'rooms': model 'heating' version '2'"));
    REQUIRE(p.stats().find("rooms")->unscored == 1);  // held, then emitted unscored at the end
}

TEST_CASE("dsl.md: files in, files out", "[docs]") {
    namespace fs = std::filesystem;
    const fs::path dir = fs::temp_directory_path() / "scorestream-dsl-doc";
    fs::remove_all(dir);
    fs::create_directories(dir / "models" / "rooms");
    std::ofstream(dir / "readings.csv") << "room,celsius\nhall,18\nattic,NA\n";
    std::ofstream(dir / "models" / "rooms" / "heating@1.pmml") << threshold_pmml;
    ModelRegistry registry;
    pmml::register_pmml(registry);
    const auto readings_csv = dir / "readings.csv";
    const auto model_dir = dir / "models";
    const auto scored_csv = dir / "scored.csv";
    // ---- snippet: files ----
    io::csv_options csv;
    csv.data_type = "rooms";  // or csv.data_type_column = "type" to route each row
    io::scored_csv_options out;
    out.record_columns = {"room"};
    auto p = io::csv_source(readings_csv, csv)                        //
             | join(io::model_directory_source(model_dir), registry)  //
             | score()                                                //
             | sink(io::scored_csv_sink<io::row>(scored_csv, out));
    p.run();
    // ---- end ----
    std::ifstream in(scored_csv);
    std::stringstream text;
    text << in.rdbuf();
    REQUIRE_THAT(text.str(), Catch::Contains("hall,heating,1,scored,2"));
    fs::remove_all(dir);
}
