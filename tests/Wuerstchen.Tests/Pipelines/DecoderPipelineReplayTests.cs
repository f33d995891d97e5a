using Wuerstchen.Pipelines;
using Wuerstchen.Rng;
using Wuerstchen.Schedulers;

namespace Wuerstchen.Tests.Pipelines;

/// <summary>The decoder pipeline around replayed model outputs reproduces every recorded tensor of each decoder run.</summary>
public class DecoderPipelineReplayTests
{
    [Theory]
    [InlineData("decoder_a")] // 2 image embeddings, one prompt, negative prompt, CFG 2
    [InlineData("decoder_b")] // explicit timesteps, no guidance
    [InlineData("decoder_c")] // given latents
    public void Replayed_run_matches_every_recorded_step(string name)
    {
        using var run = PipelineRun.Open(name);
        using var embeddings = run.Input("image_embeddings")!;
        using var givenLatents = run.Input("latents");
        var request = run.DecoderRequest(embeddings, givenLatents);
        int steps = ReplayChecks.Steps(run, "");
        var encoder = new Replay.PromptEncoder(run, "decoder_te", request.Prompts, request.NegativePrompts);
        var model = new Replay.DiffusionModel(run, "", latentChannels: 4);
        var vqgan = new Replay.VqDecoder(run, $"step{steps - 1}.latents");
        using var pipeline = new WuerstchenDecoderPipeline(
            ComponentSlot<IPromptEncoder>.Loaded("text_encoder", encoder),
            ComponentSlot<IDecoderModel>.Loaded("decoder", model),
            ComponentSlot<IVqDecoder>.Loaded("vqgan", vqgan),
            () => new DdpmWuerstchenScheduler());
        var generator = new TorchGenerator(run.Seed);
        using var log = new TensorLog();

        using var result = pipeline.Run(request, generator, log.Callbacks);

        Assert.Equal(steps, model.Calls);
        Assert.Equal(1, vqgan.Calls);
        ReplayChecks.Stage(run, log, "", steps);
        ReplayChecks.Exact(run, log, "output");
        var reference = new TorchGenerator(run.Seed);
        ReplayChecks.Noise(run, reference, "", steps, initialGiven: givenLatents != null);
        ReplayChecks.SameState(reference, generator, name);
    }
}
