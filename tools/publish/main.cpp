// scorestream-publish: publish a model file as a ModelDescriptor to a control topic.
//
//     scorestream-publish --brokers kafka:9092 --topic models --data-type wine models/quality@3.pmml
//
// Name and version come from the file name <name>@<version>.<ext> (the model directory's
// convention) unless --name / --version are given; the model type from the extension (.pmml ->
// PMML, .onnx -> ONNX, .pb -> TENSORFLOW, anything else CUSTOM with --custom-type).

#include <scorestream/kafka/publish.hpp>

#include <CLI/CLI.hpp>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

namespace fs = std::filesystem;
using namespace scorestream;

int main(int argc, char** argv) {
    CLI::App app{"Publish a model file as a ModelDescriptor to a Kafka control topic"};
    std::string brokers, topic = "models", data_type, name, version, custom_type, description;
    std::vector<std::string> properties;
    fs::path file;
    app.add_option("--brokers,-b", brokers, "bootstrap servers, host:port[,host:port]")->required();
    app.add_option("--topic,-t", topic, "control topic")->capture_default_str();
    app.add_option("--data-type,-d", data_type,
                   "data type the model serves (default: the file's directory name)");
    app.add_option("--name", name, "model name (default: from <name>@<version>.<ext>)");
    app.add_option("--version", version, "model version (default: from <name>@<version>.<ext>)");
    app.add_option("--custom-type", custom_type, "factory name for a CUSTOM model type");
    app.add_option("--description", description, "free text");
    app.add_option("-X", properties, "librdkafka property name=value (repeatable)");
    app.add_option("file", file, "the model file")->required()->check(CLI::ExistingFile);
    CLI11_PARSE(app, argc, argv);

    try {
        const std::string stem = file.stem().string();
        const auto at = stem.rfind('@');
        if (name.empty()) name = at == std::string::npos ? stem : stem.substr(0, at);
        if (version.empty() && at != std::string::npos) version = stem.substr(at + 1);
        if (version.empty())
            throw invalid_value_error("no version: name the file <name>@<version>.<ext> or pass --version");
        if (data_type.empty()) data_type = fs::absolute(file).parent_path().filename().string();
        if (name.empty() || data_type.empty())
            throw invalid_value_error("model name and data type must not be empty");

        std::string ext = file.extension().string();
        std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return std::tolower(c); });
        ModelDescriptor d;
        if (ext == ".pmml" || ext == ".xml")
            d.set_model_type(proto::PMML);
        else if (ext == ".onnx")
            d.set_model_type(proto::ONNX);
        else if (ext == ".pb")
            d.set_model_type(proto::TENSORFLOW);
        else if (!custom_type.empty()) {
            d.set_model_type(proto::CUSTOM);
            d.set_custom_type(custom_type);
        } else
            throw invalid_value_error("cannot tell the model type from '" + ext + "': pass --custom-type");
        std::ifstream in(file, std::ios::binary);
        std::ostringstream bytes;
        bytes << in.rdbuf();
        if (!in) throw io_error("cannot read " + file.string());
        d.set_name(name);
        d.set_version(version);
        d.set_data_type(data_type);
        d.set_description(description.empty()
                              ? "published by scorestream-publish from " + file.filename().string()
                              : description);
        d.set_created_at_ms(std::chrono::duration_cast<std::chrono::milliseconds>(
                                std::chrono::system_clock::now().time_since_epoch())
                                .count());
        d.set_data(bytes.str());

        kafka::client_config c;
        c.brokers = brokers;
        c.client_id = "scorestream-publish";
        for (const auto& p : properties) {
            const auto eq = p.find('=');
            if (eq == std::string::npos) throw invalid_value_error("-X expects name=value, got '" + p + "'");
            c.properties[p.substr(0, eq)] = p.substr(eq + 1);
        }
        kafka::model_publisher pub(c, topic);
        pub.publish(d);
        std::cout << "published " << name << "@" << version << " (" << d.data().size()
                  << " bytes) for data type '" << data_type << "' to " << topic << "\n";
        return 0;
    } catch (const std::exception& e) {
        std::cerr << "scorestream-publish: " << e.what() << "\n";
        return 1;
    }
}
