package dev.vaultgate.agent.gateway;

/**
 * Who watches the jobs the agent runs (the appliance's job board): each leased job that the agent's own runners
 * run (VM backups, copies, restores) is announced, then its progress and outcome. Calls come from the agent's
 * context and must not block.
 */
public interface JobObserver {
  JobObserver NONE = (jobId, kind, resource) -> Job.NONE;

  /** A job of {@code kind} (BACKUP, RESTORE, COPY) on {@code resource} started; the answer follows it. */
  Job started(String jobId, String kind, String resource);

  /** One job as it runs. */
  interface Job {
    Job NONE = new Job() {
      @Override
      public void progress(long bytesDone, long bytesTotal) {
      }

      @Override
      public void succeeded(String result, String summary) {
      }

      @Override
      public void failed(String error) {
      }
    };

    void progress(long bytesDone, long bytesTotal);

    void succeeded(String result, String summary);

    void failed(String error);
  }
}
