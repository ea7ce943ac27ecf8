#pragma once
// Where a TieredStore writes a lower tier's hit into the tiers above: one thread of its own,
// so the caller has its entry as soon as it is read and verified (a disk fill creates about ten
// files, which takes longer than the remote read itself).
#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>

#include <sys/types.h>

namespace jitcu::cache::detail {

class BackgroundFill {
 public:
  BackgroundFill() = default;
  BackgroundFill(const BackgroundFill&) = delete;
  BackgroundFill& operator=(const BackgroundFill&) = delete;
  /// Finishes every queued job.
  ~BackgroundFill();

  /// Queues `job`; the thread starts with the first one. A job must not throw.
  void submit(std::function<void()> job);
  /// Returns once every job queued so far has run.
  void wait();

 private:
  void run();

  std::mutex mutex_;
  std::condition_variable changed_;
  std::deque<std::function<void()>> jobs_;
  bool running_job_ = false;
  bool stopping_ = false;
  pid_t owner_ = 0;  // the process that started the thread: a forked child has no such thread
  std::thread thread_;
};

}  // namespace jitcu::cache::detail
