using Wuerstchen.Rng;
using Wuerstchen.Schedulers;
using Wuerstchen.Tensors;

namespace Wuerstchen.Pipelines;

/// <summary>
/// The sampling loop both Würstchen stages share (SPEC §5.2 / §5.3): for every t of <c>timesteps[:-1]</c>, predict
/// ε̂ for the latents (as one [cond; uncond] batch when classifier-free guidance is on), guide, and let the DDPM
/// scheduler step to the next t, drawing fresh noise from the generator on every step.
/// </summary>
internal static class DenoisingLoop
{
    /// <summary>
    /// Runs the loop from <paramref name="latents"/> (taken over: disposed or returned) and returns the final latents.
    /// <paramref name="predictNoise"/> maps (model input, r) to the model's raw output, conditional rows first.
    /// </summary>
    public static Tensor Run(
        Tensor latents,
        IReadOnlyList<float> timesteps,
        float guidanceScale,
        Func<Tensor, Tensor, Tensor> predictNoise,
        DdpmWuerstchenScheduler scheduler,
        TorchGenerator generator,
        PipelineStage stage,
        PipelineCallbacks callbacks,
        CancellationToken cancellation)
    {
        bool guided = ClassifierFreeGuidance.IsEnabled(guidanceScale);
        int batch = latents.Size(0);
        int steps = timesteps.Count - 1;
        callbacks.Report(stage, 0, steps);
        try
        {
            for (int i = 0; i < steps; i++)
            {
                cancellation.ThrowIfCancellationRequested();
                // diffusers: ratio = t.expand(B).to(dtype); the same r goes to the model (doubled under CFG) and to step().
                using var ratio = Tensor.Full(timesteps[i], batch);
                using var modelInput = guided ? BatchRows.Concat(latents, latents) : null;
                using var r = guided ? BatchRows.Concat(ratio, ratio) : null;
                using var raw = predictNoise(modelInput ?? latents, r ?? ratio);
                if (!raw.Shape.SequenceEqual((modelInput ?? latents).Shape))
                    throw new InvalidOperationException($"{stage} model returned {raw} for input {modelInput ?? latents}.");
                using var guidedOutput = guided ? ClassifierFreeGuidance.Combine(raw, guidanceScale) : null;
                var noisePrediction = guidedOutput ?? raw;

                // The scheduler's noise, drawn here so the order of draws is visible in one place (SPEC §5.5):
                // randn of the latents' shape on every step, also the last, where it is multiplied by 0.
                using var noise = generator.Randn(latents.Shape);
                if (callbacks.Inspecting)
                {
                    callbacks.Show($"step{i}.t", ratio);
                    callbacks.Show($"step{i}.model_input", modelInput ?? latents);
                    callbacks.Show($"step{i}.model_output_raw", raw);
                    callbacks.Show($"step{i}.model_output_guided", noisePrediction);
                    callbacks.Show($"step{i}.noise", noise);
                }

                var next = scheduler.Step(noisePrediction, [timesteps[i]], latents, noise);
                latents.Dispose();
                latents = next;
                callbacks.Show($"step{i}.latents", latents);
                callbacks.Report(stage, i + 1, steps);
            }
            return latents;
        }
        catch
        {
            latents.Dispose();
            throw;
        }
    }
}
