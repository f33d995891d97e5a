using Wuerstchen.Pipelines;
using Wuerstchen.Rng;
using Wuerstchen.Schedulers;

namespace Wuerstchen.Tests.Pipelines;

/// <summary>
/// The combined pipeline around replayed model outputs reproduces both stages of each combined run — in particular
/// that the decoder's initial noise continues the prior's random stream after its last (zero-weighted) step draw.
/// </summary>
public class CombinedPipelineReplayTests
{
    [Theory]
    [InlineData("combined_a")] // 2 images per prompt, prior CFG 4, decoder without guidance
    [InlineData("combined_b")] // given prior latents, explicit prior timesteps, decoder CFG 1.5 with a negative prompt
    public void Replayed_run_matches_every_recorded_step(string name)
    {
        using var run = PipelineRun.Open(name);
        using var givenLatents = run.Input("latents");
        var request = run.CombinedRequest(givenLatents);
        int priorSteps = ReplayChecks.Steps(run, "prior.");
        int decoderSteps = ReplayChecks.Steps(run, "decoder.");
        var priorModel = new Replay.DiffusionModel(run, "prior.", latentChannels: 8);
        var decoderModel = new Replay.DiffusionModel(run, "decoder.", latentChannels: 4, effnetIsInput: false);
        using var pipeline = new WuerstchenCombinedPipeline(
            new WuerstchenPriorPipeline(
                ComponentSlot<IPromptEncoder>.Loaded("text_encoder", new Replay.PromptEncoder(run, "prior_te", request.Prompts!, request.NegativePrompts)),
                ComponentSlot<IPriorModel>.Loaded("prior", priorModel),
                () => new DdpmWuerstchenScheduler()),
            new WuerstchenDecoderPipeline(
                ComponentSlot<IPromptEncoder>.Loaded("text_encoder", new Replay.PromptEncoder(run, "decoder_te", request.Prompts!, request.NegativePrompts)),
                ComponentSlot<IDecoderModel>.Loaded("decoder", decoderModel),
                ComponentSlot<IVqDecoder>.Loaded("vqgan", new Replay.VqDecoder(run, $"decoder.step{decoderSteps - 1}.latents")),
                () => new DdpmWuerstchenScheduler()));
        var generator = new TorchGenerator(run.Seed);
        using var log = new TensorLog();

        using var result = pipeline.Run(request, generator, log.Callbacks);

        Assert.Equal(priorSteps, priorModel.Calls);
        Assert.Equal(decoderSteps, decoderModel.Calls);
        ReplayChecks.Stage(run, log, "prior.", priorSteps);
        ReplayChecks.Close(run, log, "prior.image_embeddings", "prior.output");
        ReplayChecks.Stage(run, log, "decoder.", decoderSteps, effnetIsInput: false);
        ReplayChecks.Exact(run, log, "output", "decoder.output");
        var reference = new TorchGenerator(run.Seed);
        ReplayChecks.Noise(run, reference, "prior.", priorSteps, initialGiven: givenLatents != null);
        ReplayChecks.Noise(run, reference, "decoder.", decoderSteps, initialGiven: false);
        ReplayChecks.SameState(reference, generator, name);
    }
}
