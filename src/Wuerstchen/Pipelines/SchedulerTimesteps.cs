using Wuerstchen.Schedulers;

namespace Wuerstchen.Pipelines;

/// <summary>How the pipelines choose their schedule: explicit timesteps win over a step count (diffusers' rule).</summary>
internal static class SchedulerTimesteps
{
    /// <summary>Sets the scheduler's timesteps and returns them (N + 1 values ending in 0; the loop runs over all but the last).</summary>
    public static IReadOnlyList<float> Set(DdpmWuerstchenScheduler scheduler, IReadOnlyList<float>? timesteps, int numInferenceSteps)
    {
        if (timesteps != null)
        {
            if (timesteps.Count < 2)
                throw new ArgumentException($"Timesteps need at least two values (a start and the final 0); got {timesteps.Count}.", nameof(timesteps));
            scheduler.SetTimesteps(timesteps);
        }
        else
        {
            PipelineArguments.CheckPositive(numInferenceSteps, "NumInferenceSteps");
            scheduler.SetTimesteps(numInferenceSteps);
        }
        return scheduler.Timesteps;
    }
}
