// Damaged entries: every file a load reads, every kind of damage, is a logged miss, an exact
// verify() problem and a fresh put; entries of another format are quiet misses.
#include "cache_test_util.hpp"

#include <jitcu/cache/disk_tier.hpp>
#include <jitcu/cache/record.hpp>

#include <set>
#include <sstream>

using namespace jitcu::cache;
using namespace jitcu::test;
namespace fs = std::filesystem;

namespace {

constexpr std::uint64_t k_big_cap = 1ull << 30;
constexpr auto k_probe_limit = std::chrono::seconds(10);

enum class Damage { truncate, flip_byte, symlink, fifo, remove };

const char* damage_name(Damage damage) {
  switch (damage) {
    case Damage::truncate: return "truncate";
    case Damage::flip_byte: return "flip a byte";
    case Damage::symlink: return "replace with a symlink to an intact copy";
    case Damage::fifo: return "replace with a FIFO";
    case Damage::remove: return "delete";
  }
  return "?";
}

/// Damages `file` of the entry of `key` in `entry_dir`; returns the exact problem verify() and
/// the warning must name. A symlink points at an intact copy outside the entry: a link is
/// refused for being a link, not for what it points at.
std::string damage_file(const fs::path& entry_dir, const std::string& file, Damage damage, const Key& key,
                        const fs::path& scratch, std::mt19937_64& rng) {
  const fs::path path = entry_dir / file;
  const std::string bytes = read_file(path);
  REQUIRE_FALSE(bytes.empty());
  const bool is_record = file == "record";
  switch (damage) {
    case Damage::truncate: {
      const std::string cut = bytes.substr(0, rng() % bytes.size());
      write_file(path, cut);
      if (is_record) return decode_record(cut, &key).problem;
      return file + ": truncated (" + std::to_string(cut.size()) + " of " + std::to_string(bytes.size()) + " bytes)";
    }
    case Damage::flip_byte: {
      for (;;) {
        std::string flipped = bytes;
        const std::size_t at = rng() % flipped.size();
        flipped[at] = static_cast<char>(flipped[at] ^ static_cast<char>(1 + rng() % 255));
        if (!is_record) {
          write_file(path, flipped);
          return file + ": checksum mismatch";
        }
        const DecodedRecord decoded = decode_record(flipped, &key);
        REQUIRE_FALSE(decoded.record.has_value());
        if (decoded.other_version) continue;  // a flipped version digit: a miss, tested below
        write_file(path, flipped);
        return decoded.problem;
      }
    }
    case Damage::symlink: {
      const fs::path copy = scratch / ("intact-" + file);
      write_file(copy, bytes);
      fs::remove(path);
      fs::create_symlink(copy, path);
      return file + ": a symbolic link, not a file";
    }
    case Damage::fifo:
      fs::remove(path);
      REQUIRE(::mkfifo(path.c_str(), 0600) == 0);
      return file + ": not a regular file";
    case Damage::remove:
      fs::remove(path);
      return file + ": missing";
  }
  return "?";
}

/// Each file of a folder (and the folder) as lstat() sees it: type, size, times. Equal before and
/// after: nothing was written, moved or touched.
std::string fingerprint(const fs::path& dir) {
  std::string text;
  const auto add = [&](const fs::path& path) {
    struct stat info {};
    if (::lstat(path.c_str(), &info) != 0) {
      text += path.filename().string() + " gone\n";
      return;
    }
    text += path.filename().string() + " " + std::to_string(info.st_mode) + " " + std::to_string(info.st_size) + " " +
            std::to_string(info.st_mtim.tv_sec) + "." + std::to_string(info.st_mtim.tv_nsec) + " " +
            std::to_string(info.st_ctim.tv_sec) + "." + std::to_string(info.st_ctim.tv_nsec) + "\n";
  };
  add(dir);
  std::set<fs::path> files;
  std::error_code error;
  for (fs::directory_iterator it(dir, error), end; !error && it != end; it.increment(error)) files.insert(it->path());
  for (const fs::path& file : files) add(file);
  return text;
}

/// What another process saw of a damaged entry, in the order it looked.
struct Probe {
  std::multimap<std::string, std::string> lines;
  std::string one(const std::string& name) const {
    const auto it = lines.find(name);
    return it == lines.end() ? "<none>" : it->second;
  }
  std::vector<std::string> all(const std::string& name) const {
    std::vector<std::string> found;
    for (auto [it, end] = lines.equal_range(name); it != end; ++it) found.push_back(it->second);
    return found;
  }
};

/// In a forked child (a FIFO that blocked a read would hang it, not the suite; it is killed
/// after k_probe_limit): verify(), then a get() that leaves `file` out, then one that selects it.
std::optional<Probe> probe_in_child(const fs::path& root, const Key& key, const std::string& file,
                                    const BlobSelection& selecting, const Entry& entry, const fs::path& report) {
  const pid_t child = fork_child([&] {
    clear_log();  // what the parent logged before fork() is not ours
    DiskTier tier(root, k_big_cap);
    std::ostringstream out;
    const std::string before = fingerprint(tier.entry_dir(key));
    const std::vector<VerifyResult> results = tier.verify();
    out << "verify_changed_nothing\t" << (fingerprint(tier.entry_dir(key)) == before) << "\n";
    out << "verify_count\t" << results.size() << "\n";
    for (const VerifyResult& result : results) {
      if (result.key == key) out << "verify_ok\t" << result.ok << "\nverify_problem\t" << result.problem << "\n";
      else out << "bystander_ok\t" << result.ok << "\n";
    }
    out << "exists_after_verify\t" << fs::exists(tier.entry_dir(key)) << "\n";
    if (file != "record") {  // every get reads the record; other blobs are read only when selected
      BlobSelection others;
      for (const auto& name : loadable_blobs())
        if (name != file) others.names.push_back(name);
      const std::optional<Entry> hit = tier.get(key, others);
      out << "unselected_hit\t" << hit.has_value() << "\nunselected_same\t" << same_entry(hit, selected(entry, others))
          << "\nwarnings_after_unselected\t" << warnings().size() << "\n";
    }
    out << "selected_hit\t" << tier.get(key, selecting).has_value() << "\n";
    for (const std::string& warning : warnings()) out << "warning\t" << warning << "\n";
    out << "exists_after_get\t" << fs::exists(tier.entry_dir(key)) << "\n";
    out << "missed_again\t" << !tier.get(key, BlobSelection::all()).has_value() << "\n";
    out << "warnings_at_end\t" << warnings().size() << "\n";
    write_file(report, out.str());
    return 0;
  });
  const std::optional<int> code = wait_child_for(child, k_probe_limit);
  if (!code) {
    ::kill(child, SIGKILL);
    wait_child(child);
    return std::nullopt;
  }
  if (*code != 0) return std::nullopt;
  Probe probe;
  std::istringstream lines(read_file(report));
  for (std::string line; std::getline(lines, line);) {
    const auto tab = line.find('\t');
    probe.lines.emplace(line.substr(0, tab), tab == std::string::npos ? "" : line.substr(tab + 1));
  }
  return probe;
}

/// Writes an entry folder as jitcus before the record wrote them: meta.json, index, blobs.
void write_old_format_entry(const fs::path& entry_dir, const Entry& entry) {
  write_file(entry_dir / "meta.json", "{\"store\": {\"format_version\": 1, \"key\": \"" + entry.record.key.hex() + "\"}}\n");
  write_file(entry_dir / "index", "jitcu-index 2\nblob sm_90.cubin 4096 00 00\nsummary 0\nxxh3 00\n");
  for (const auto& [name, bytes] : entry.blobs) write_file(entry_dir / name, bytes);
}

}  // namespace

TEST_CASE("every kind of damage to the record or any blob a load returns: a miss, one warning, an exact problem") {
  const unsigned seed = test_seed();
  INFO("seed=" << seed);
  std::mt19937_64 rng(seed);
  std::vector<std::string> files = loadable_blobs();
  files.push_back("record");
  int variant = 0;
  for (const std::string& file : files) {
    for (const Damage damage : {Damage::truncate, Damage::flip_byte, Damage::symlink, Damage::fifo, Damage::remove}) {
      if (file == "record" && damage == Damage::remove) continue;  // reads as the old format: tested below
      INFO(file << ": " << damage_name(damage));
      TempDir dir;
      const fs::path root = dir / "cache";
      DiskTier tier(root, k_big_cap);
      const Key key = random_key(rng);
      const Key bystander = random_key(rng);
      const Entry entry = random_entry(rng, key, 1 + rng() % 50'000);
      tier.put(key, entry);
      tier.put(bystander, random_entry(rng, bystander));
      const std::string problem = damage_file(tier.entry_dir(key), file, damage, key, dir.path(), rng);
      INFO("expected problem: " << problem);
      // A get that selects the damaged blob: by name, or all of them.
      const BlobSelection selecting = file == "record"        ? BlobSelection::none()
                                      : (variant++ % 2 == 0) ? BlobSelection::only(file)
                                                             : BlobSelection::all();

      const std::optional<Probe> probe = probe_in_child(root, key, file, selecting, entry, dir / "probe.txt");
      if (!probe) {
        FAIL_CHECK("the probe did not finish within " << k_probe_limit.count() << " s or failed (blocked on a FIFO?)");
        continue;
      }
      INFO("probe:\n" << [&] {
        std::string text;
        for (const auto& [name, value] : probe->lines) text += name + "\t" + value + "\n";
        return text;
      }());
      // verify() names the file and what is wrong, exactly, and leaves the entry where it is.
      CHECK(probe->one("verify_count") == "2");
      CHECK(probe->one("bystander_ok") == "1");
      CHECK(probe->one("verify_ok") == "0");
      CHECK(probe->one("verify_problem") == problem);
      CHECK(probe->one("exists_after_verify") == "1");
      CHECK(probe->one("verify_changed_nothing") == "1");
      // Only selected blobs are read: a load that leaves the damaged one out still hits, quietly.
      if (file != "record") {
        CHECK(probe->one("unselected_hit") == "1");
        CHECK(probe->one("unselected_same") == "1");
        CHECK(probe->one("warnings_after_unselected") == "0");
      }
      // Selecting it: a miss with one warning naming the entry and the problem; the entry is gone.
      CHECK(probe->one("selected_hit") == "0");
      const std::vector<std::string> logged = probe->all("warning");
      REQUIRE(logged.size() == 1);
      CHECK(logged[0].find(tier.entry_dir(key).string()) != std::string::npos);
      CHECK(logged[0].find("(" + problem + ")") != std::string::npos);
      CHECK(probe->one("exists_after_get") == "0");
      CHECK(probe->one("missed_again") == "1");
      CHECK(probe->one("warnings_at_end") == "1");  // a removed entry is a plain miss

      // The caller compiles again and puts: that works and reads back; the bystander is intact.
      CHECK_FALSE(fs::exists(tier.entry_dir(key)));
      clear_log();
      tier.put(key, entry);
      CHECK(same_entry(tier.get(key, BlobSelection::all()), entry));
      CHECK(tier.get(bystander, BlobSelection::all()).has_value());
      for (const VerifyResult& result : tier.verify()) CHECK(result.ok);
      CHECK(warnings().empty());
      CHECK(count_children(root / "tmp") == 0);
    }
  }
}

TEST_CASE("an entry folder of the old format (meta.json and index, no record) is a plain miss, replaced quietly") {
  const unsigned seed = test_seed();
  INFO("seed=" << seed);
  std::mt19937_64 rng(seed);
  TempDir dir;
  DiskTier tier(dir / "cache", k_big_cap);
  const Key key = random_key(rng);
  const fs::path entry_dir = tier.entry_dir(key);
  write_old_format_entry(entry_dir, random_entry(rng, key));
  clear_log();
  for (const BlobSelection& selection : {BlobSelection::all(), BlobSelection::only("sm_90.cubin"), BlobSelection::none()})
    CHECK_FALSE(tier.get(key, selection).has_value());
  CHECK(warnings().empty());
  CHECK(fs::exists(entry_dir / "meta.json"));  // a miss changes nothing
  CHECK(tier.list().empty());
  const std::vector<VerifyResult> results = tier.verify();
  REQUIRE(results.size() == 1);
  CHECK_FALSE(results[0].ok);
  CHECK(results[0].problem == "written by an older jitcu (no record): a miss, replaced on the next compile");

  const Entry entry = random_entry(rng, key);
  tier.put(key, entry);
  CHECK(same_entry(tier.get(key, BlobSelection::all()), entry));
  CHECK_FALSE(fs::exists(entry_dir / "index"));
  CHECK(warnings().empty());
  CHECK(count_children(dir / "cache" / "tmp") == 0);
  for (const VerifyResult& result : tier.verify()) CHECK(result.ok);
}

TEST_CASE("a record of another format version (a newer jitcu's) is a plain miss, replaced quietly") {
  const unsigned seed = test_seed();
  INFO("seed=" << seed);
  std::mt19937_64 rng(seed);
  TempDir dir;
  DiskTier tier(dir / "cache", k_big_cap);
  const Key key = random_key(rng);
  tier.put(key, random_entry(rng, key));
  const fs::path record = tier.entry_dir(key) / "record";
  const std::string ours = "jitcu-record " + std::to_string(k_record_version) + "\n";
  const std::string theirs = "jitcu-record " + std::to_string(k_record_version + 1) + "\n";
  write_file(record, theirs + read_file(record).substr(ours.size()) + "a field this jitcu does not know\n");
  clear_log();
  CHECK_FALSE(tier.get(key, BlobSelection::all()).has_value());
  CHECK(warnings().empty());
  CHECK(fs::exists(record));
  const std::vector<VerifyResult> results = tier.verify();
  REQUIRE(results.size() == 1);
  CHECK_FALSE(results[0].ok);
  CHECK(results[0].problem == "record: format version " + std::to_string(k_record_version + 1) + ", this jitcu reads " +
                                  std::to_string(k_record_version) + ": a miss, replaced on the next compile");

  const Entry entry = random_entry(rng, key);
  tier.put(key, entry);
  CHECK(same_entry(tier.get(key, BlobSelection::all()), entry));
  CHECK(warnings().empty());
}

TEST_CASE("put replaces a damaged entry it finds in its way, with one warning") {
  const unsigned seed = test_seed();
  INFO("seed=" << seed);
  std::mt19937_64 rng(seed);
  TempDir dir;
  DiskTier tier(dir / "cache", k_big_cap);
  const Key key = random_key(rng);
  tier.put(key, random_entry(rng, key));
  write_file(tier.entry_dir(key) / "record", "{ not a record");
  clear_log();
  const Entry entry = random_entry(rng, key);
  tier.put(key, entry);
  CHECK(same_entry(tier.get(key, BlobSelection::all()), entry));
  const auto logged = warnings();
  REQUIRE(logged.size() == 1);
  CHECK(logged[0] == "replacing damaged jitcu cache entry '" + tier.entry_dir(key).string() +
                         "' (record: not a jitcu entry record)");
  CHECK(count_children(dir / "cache" / "tmp") == 0);

  // An empty folder (an interrupted manual copy, say) is no entry either.
  const Key empty_key = random_key(rng);
  fs::create_directories(tier.entry_dir(empty_key));
  CHECK_FALSE(tier.get(empty_key, BlobSelection::all()).has_value());
  tier.put(empty_key, entry);
  CHECK(tier.get(empty_key, BlobSelection::all()).has_value());

  // A stray file where the entry's folder belongs: a quiet miss, then moved out of the way.
  const Key stray_key = random_key(rng);
  write_file(tier.entry_dir(stray_key), "a file");
  clear_log();
  CHECK_FALSE(tier.get(stray_key, BlobSelection::all()).has_value());
  CHECK(warnings().empty());
  const Entry stray_entry = random_entry(rng, stray_key);
  tier.put(stray_key, stray_entry);
  CHECK(same_entry(tier.get(stray_key, BlobSelection::all()), stray_entry));
  REQUIRE(warnings().size() == 1);
  CHECK(warnings()[0] == "removing '" + tier.entry_dir(stray_key).string() +
                             "': a file where a jitcu cache entry folder belongs");
}

TEST_CASE("a record must belong to its folder; blobs must be what it says; verify lists every problem") {
  const unsigned seed = test_seed();
  INFO("seed=" << seed);
  std::mt19937_64 rng(seed);
  TempDir dir;
  DiskTier tier(dir / "cache", k_big_cap);
  const Key key = random_key(rng);
  const Entry entry = random_entry(rng, key);
  tier.put(key, entry);

  SUBCASE("an entry copied into another key's folder") {
    const Key other = random_key(rng);
    fs::create_directories(tier.entry_dir(other).parent_path());
    fs::copy(tier.entry_dir(key), tier.entry_dir(other));
    const std::string problem = "record: it is the record of key " + key.short_hex() + ", not of its folder";
    bool seen = false;
    for (const auto& result : tier.verify()) {
      if (result.key != other) continue;
      seen = true;
      CHECK_FALSE(result.ok);
      CHECK(result.problem == problem);
    }
    CHECK(seen);
    CHECK(tier.list().size() == 1);  // listings show only entries whose record reads
    clear_log();
    CHECK_FALSE(tier.get(other, BlobSelection::all()).has_value());
    REQUIRE(warnings().size() == 1);
    CHECK(warnings()[0].find("(" + problem + ")") != std::string::npos);
    CHECK(same_entry(tier.get(key, BlobSelection::all()), entry));
  }
  SUBCASE("a blob that grew") {
    const fs::path ptx = tier.entry_dir(key) / "program.ptx";
    const std::string before = read_file(ptx);
    write_file(ptx, before + "// more");
    const std::string problem = "program.ptx: " + std::to_string(before.size() + 7) + " bytes, more than the " +
                                std::to_string(before.size()) + " expected";
    const auto results = tier.verify();
    REQUIRE(results.size() == 1);
    CHECK(results[0].problem == problem);
    clear_log();
    CHECK(tier.get(key, BlobSelection::only("sm_90.cubin")).has_value());
    CHECK(warnings().empty());
    CHECK_FALSE(tier.get(key, BlobSelection::only("program.ptx")).has_value());
    REQUIRE(warnings().size() == 1);
    CHECK(warnings()[0].find("(" + problem + ")") != std::string::npos);
  }
  SUBCASE("several damaged blobs are all reported, in the record's order") {
    fs::remove(tier.entry_dir(key) / "program.ptx");
    fs::remove(tier.entry_dir(key) / "sm_90.cubin");
    write_file(tier.entry_dir(key) / "log.txt", "");
    const auto results = tier.verify();
    REQUIRE(results.size() == 1);
    CHECK(results[0].problem == "log.txt: truncated (0 of " + std::to_string(entry.blobs.at("log.txt").size()) +
                                    " bytes); program.ptx: missing; sm_90.cubin: missing");
    CHECK(tier.get(key, BlobSelection::only("source.cu")).has_value());  // the one intact blob still reads
  }
  SUBCASE("a damaged record keeps the entry out of listings, quietly") {
    write_file(tier.entry_dir(key) / "record", "garbage");
    clear_log();
    CHECK(tier.list().empty());
    CHECK(tier.stats().entries == 1);  // still there, still counted, until a get or a put
    CHECK(warnings().empty());
  }
}
