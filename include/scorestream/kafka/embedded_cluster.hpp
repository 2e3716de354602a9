#pragma once
// embedded_cluster: a Kafka cluster inside the current process, for examples, tests and demos.
//
// It is librdkafka's mock cluster (rdkafka_mock.h): brokers that speak the Kafka protocol on
// loopback (127.0.0.1, ephemeral ports), so any Kafka client, including kcat or another process,
// can connect to bootstrap_servers() while this object lives. It supports producing (also
// idempotent), fetching, consumer groups with committed offsets, and topic creation.
//
// It is NOT a Kafka broker: everything lives in memory and is gone when the object is destroyed; no
// replication, retention, compaction, ACLs or TLS; performance says nothing about a real cluster.
// librdkafka marks the mock API experimental. Point real deployments at a real cluster.
// Thread-safety: the cluster runs on librdkafka's own threads; create_topic() and the broker switches
// may be called from any one thread at a time.

#include <scorestream/kafka/client.hpp>

#include <memory>
#include <string>

namespace scorestream::kafka {

class embedded_cluster {
public:
    struct options {
        int brokers = 1;
    };

    embedded_cluster();
    explicit embedded_cluster(options o);
    ~embedded_cluster();
    embedded_cluster(const embedded_cluster&) = delete;
    embedded_cluster& operator=(const embedded_cluster&) = delete;

    /// "127.0.0.1:port[,...]": what clients use as bootstrap.servers.
    const std::string& bootstrap_servers() const noexcept;
    /// A client_config pointing at this cluster.
    client_config client(std::string client_id = "scorestream") const;

    /// Creates a topic (an existing one is left as it is). Throws kafka_error on failure.
    void create_topic(const std::string& name, int partitions = 1);
    /// Takes a broker (1..brokers) down or brings it back, to exercise failure handling.
    void set_broker_up(int broker_id, bool up);

private:
    struct impl;
    std::unique_ptr<impl> impl_;
};

}  // namespace scorestream::kafka
