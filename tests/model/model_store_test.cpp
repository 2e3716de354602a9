#include <catch2/catch.hpp>
#include <scorestream/model/model_store.hpp>

#include <filesystem>
#include <fstream>
#include <random>
#include <string>

using namespace scorestream;
namespace fs = std::filesystem;

namespace {
struct temp_tree {
    // One directory per test case: ctest runs the cases of this file in parallel processes.
    fs::path base =
        fs::temp_directory_path() / ("scorestream-store-test-" + std::to_string(std::random_device{}()));
    fs::path root = base / "root";
    temp_tree() {
        fs::remove_all(base);
        fs::create_directories(root / "sub");
        std::ofstream(root / "sub" / "model.pmml") << "inside";
        std::ofstream(base / "secret.pmml") << "outside";
    }
    ~temp_tree() { fs::remove_all(base); }
};
}  // namespace

TEST_CASE("the model store reads files under its root", "[model][store]") {
    temp_tree t;
    ModelStore store(t.root);
    REQUIRE(store.read("sub/model.pmml") == "inside");
    REQUIRE(store.read((t.root / "sub" / "model.pmml").string()) == "inside");  // absolute, inside
}

TEST_CASE("the model store refuses paths that leave its root", "[model][store]") {
    temp_tree t;
    ModelStore store(t.root);
    REQUIRE_THROWS_WITH(store.read("../secret.pmml"), Catch::Contains("'..' is not allowed"));
    REQUIRE_THROWS_WITH(store.read("sub/../../secret.pmml"), Catch::Contains("'..' is not allowed"));
    REQUIRE_THROWS_WITH(store.read((t.base / "secret.pmml").string()),
                        Catch::Contains("outside the model root"));

    fs::create_symlink(t.base / "secret.pmml", t.root / "link.pmml");
    REQUIRE_THROWS_WITH(store.read("link.pmml"), Catch::Contains("outside the model root"));
    fs::create_directory_symlink(t.base, t.root / "escape");
    REQUIRE_THROWS_WITH(store.read("escape/secret.pmml"), Catch::Contains("outside the model root"));

    // A symlink that stays inside the root is fine.
    fs::create_symlink(t.root / "sub" / "model.pmml", t.root / "alias.pmml");
    REQUIRE(store.read("alias.pmml") == "inside");
}

TEST_CASE("the model store reports missing, non-regular and oversized files", "[model][store]") {
    temp_tree t;
    ModelStore store(t.root);
    REQUIRE_THROWS_WITH(store.read("sub/none.pmml"), Catch::Contains("cannot open"));
    REQUIRE_THROWS_WITH(store.read("sub"), Catch::Contains("not a regular file"));
    REQUIRE_THROWS_WITH(store.read(""), Catch::Contains("empty path"));

    ModelStore tiny(t.root, 3);
    REQUIRE_THROWS_WITH(tiny.read("sub/model.pmml"), Catch::Contains("exceeds the limit of 3"));

    ModelStore none;
    REQUIRE_FALSE(none.has_root());
    REQUIRE_THROWS_WITH(none.read("sub/model.pmml"), Catch::Contains("no model root"));
    REQUIRE_THROWS_AS(ModelStore(t.base / "missing"), invalid_value_error);
}
