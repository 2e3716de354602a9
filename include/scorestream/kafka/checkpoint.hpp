#pragma once
// kafka::checkpoint: a local file that lets a serving process restart without reading its control
// topic from the beginning.
//
// It holds what the control source has read, in the form a compacted control topic keeps it: the
// latest control message per key (publish models with key = data type, as model_publisher and
// scorestream-publish do; the message is a serialized ModelDescriptor, so name, version and model
// bytes are all in it), and the next offset to read in every control partition. With it, the data
// source's committed positions (what Kafka had confirmed when the file was written: recorded for
// monitoring; Kafka's own commits stay the authority for where data resumes) and its stats.
//
//     kafka::control_source_options co;
//     co.checkpoint_file = "/var/lib/scorer/checkpoint";    // restored at start when present
//     kafka::control_source<> models(co);
//     auto log = models.log();                              // before moving models into the pipeline
//     ...
//     kafka::write_checkpoint(co.checkpoint_file, kafka::make_checkpoint(*log, p.source()));
//
// Written atomically: a temporary file next to the target, fsync, rename over the target, fsync of
// the directory; a crash leaves either the old or the new file, never a mix. read_checkpoint()
// refuses a file that is not a checkpoint, is truncated or fails its checksum, with the file and the
// byte offset in the message; the control source then reads its topic from the beginning.
// Thread-safety: plain functions and values.

#include <scorestream/error.hpp>
#include <scorestream/kafka/client.hpp>
#include <scorestream/kafka/control_source.hpp>
#include <scorestream/kafka/data_source.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace scorestream::kafka {

/// A checkpoint file that cannot be read or written; what() names the file and, for a bad file,
/// the byte offset and what was wrong there.
class checkpoint_error : public error {
public:
    using error::error;
};

struct checkpoint {
    std::int64_t written_at_ms = 0;                  ///< wall clock (ms since the epoch) when made
    std::vector<control_log::entry> control;         ///< the latest control message per key
    std::vector<topic_partition> control_positions;  ///< next offset to read per control partition
    std::vector<topic_partition> data_positions;     ///< the data source's committed positions
    data_source_stats data_stats;
};

/// Writes `c` to `file` atomically (temp file + fsync + rename + directory fsync). Throws
/// checkpoint_error.
void write_checkpoint(const std::string& file, const checkpoint& c);
/// Reads a checkpoint. Throws checkpoint_error: missing or unreadable file, not a checkpoint,
/// truncated, checksum mismatch, malformed content (with the byte offset).
checkpoint read_checkpoint(const std::string& file);

/// A checkpoint of a control source's log (control_source::log()) and a data source.
checkpoint make_checkpoint(const control_log& log, const data_source_stats& stats,
                           std::vector<topic_partition> data_positions);
template <class T>
checkpoint make_checkpoint(const control_log& log, const data_source<T>& data) {
    return make_checkpoint(log, data.stats(), data.committed());
}

}  // namespace scorestream::kafka
