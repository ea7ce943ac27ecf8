#include "background_fill.hpp"

#include <unistd.h>

namespace jitcu::cache::detail {

BackgroundFill::~BackgroundFill() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  changed_.notify_all();
  if (!thread_.joinable()) return;
  if (owner_ == ::getpid()) thread_.join();
  else thread_.detach();  // a forked child: the thread stayed in the parent
}

void BackgroundFill::submit(std::function<void()> job) {
  std::lock_guard lock(mutex_);
  jobs_.push_back(std::move(job));
  if (!thread_.joinable() || owner_ != ::getpid()) {
    if (thread_.joinable()) thread_.detach();
    owner_ = ::getpid();
    thread_ = std::thread([this] { run(); });
  }
  changed_.notify_all();
}

void BackgroundFill::wait() {
  std::unique_lock lock(mutex_);
  if (owner_ != ::getpid()) return;
  changed_.wait(lock, [this] { return jobs_.empty() && !running_job_; });
}

void BackgroundFill::run() {
  std::unique_lock lock(mutex_);
  for (;;) {
    changed_.wait(lock, [this] { return stopping_ || !jobs_.empty(); });
    if (jobs_.empty()) return;  // stopping, and nothing is left
    auto job = std::move(jobs_.front());
    jobs_.pop_front();
    running_job_ = true;
    lock.unlock();
    job();
    lock.lock();
    running_job_ = false;
    changed_.notify_all();
  }
}

}  // namespace jitcu::cache::detail
