#include <catch2/catch.hpp>
#include <scorestream/model/factory.hpp>
#include <support/linear_model.hpp>

#include <filesystem>
#include <fstream>

using namespace scorestream;
using scorestream::testing::linear_descriptor;
using scorestream::testing::linear_factory;

TEST_CASE("a registered custom factory builds models that score", "[model][registry]") {
    ModelRegistry reg;
    reg.add(std::make_shared<linear_factory>());
    REQUIRE(reg.find("linear") != nullptr);
    REQUIRE(reg.find("pmml") == nullptr);

    auto m = reg.build(linear_descriptor("wine", "lin", "7", "bias 1\nw a 2\nw b 3\n"));
    REQUIRE(m->name() == "lin");
    REQUIRE(m->version() == "7");
    REQUIRE(m->type() == "linear");
    REQUIRE(m->identity().data_type == "wine");
    REQUIRE(m->schema().inputs == std::vector<std::string>{"a", "b"});

    Value row[] = {Value::number(10), Value::number(100)};
    Prediction p;
    m->score(FeatureRow(row, 2), p);
    REQUIRE(p.ok());
    REQUIRE(p.value.as_number() == 1 + 20 + 300);

    // restore(to_bytes()) gives an equal model
    auto again = reg.find("linear")->restore(m->to_bytes(), m->identity());
    Prediction q;
    again->score(FeatureRow(row, 2), q);
    REQUIRE(q.value == p.value);
}

TEST_CASE("build refuses bad descriptors with a reason naming the descriptor", "[model][registry]") {
    ModelRegistry reg;
    reg.add(std::make_shared<linear_factory>());

    auto d = linear_descriptor("wine", "lin", "1", "bias 1\nw a 2\n");
    d.set_custom_type("nope");
    REQUIRE_THROWS_WITH(reg.build(d), Catch::Contains("no factory registered for model type 'nope'") &&
                                          Catch::Contains("model 'lin' version '1' for data type 'wine'"));

    auto empty_type = linear_descriptor("", "lin", "1", "w a 1");
    REQUIRE_THROWS_AS(reg.build(empty_type), model_error);

    auto unspecified = linear_descriptor("wine", "lin", "1", "w a 1");
    unspecified.set_model_type(proto::MODEL_TYPE_UNSPECIFIED);
    REQUIRE_THROWS_WITH(reg.build(unspecified), Catch::Contains("model_type is unspecified"));

    auto no_content = linear_descriptor("wine", "lin", "1", "w a 1");
    no_content.clear_content();
    REQUIRE_THROWS_WITH(reg.build(no_content), Catch::Contains("neither data nor location"));

    // The factory's own parse error is wrapped as a model_error with the descriptor named.
    auto bad = linear_descriptor("wine", "lin", "2", "bias x\n");
    REQUIRE_THROWS_WITH(reg.build(bad),
                        Catch::Contains("version '2'") && Catch::Contains("bias needs a number"));
}

TEST_CASE("factories can be replaced and must be named", "[model][registry]") {
    ModelRegistry reg;
    REQUIRE_THROWS_AS(reg.add(nullptr), invalid_value_error);
    reg.add(std::make_shared<linear_factory>());
    auto first = reg.find("linear");
    reg.add(std::make_shared<linear_factory>());
    REQUIRE(reg.find("linear") != nullptr);
    REQUIRE(reg.find("linear") != first);
}

TEST_CASE("a descriptor with a location reads the model through the registry's store", "[model][registry]") {
    namespace fs = std::filesystem;
    auto root = fs::temp_directory_path() / "scorestream-registry-test";
    fs::remove_all(root);
    fs::create_directories(root / "wine");
    std::ofstream(root / "wine" / "m.txt") << "bias 2\nw a 1\n";

    ModelRegistry reg;
    reg.add(std::make_shared<linear_factory>());
    auto d = linear_descriptor("wine", "lin", "1", "");
    d.set_location("wine/m.txt");
    REQUIRE_THROWS_WITH(reg.build(d), Catch::Contains("no model root is configured"));

    reg.set_store(ModelStore(root));
    auto m = reg.build(d);
    Value row[] = {Value::number(3)};
    Prediction p;
    m->score(FeatureRow(row, 1), p);
    REQUIRE(p.value.as_number() == 5);
    fs::remove_all(root);
}
