using Wuerstchen.Pipelines;
using Wuerstchen.Rng;
using Wuerstchen.Schedulers;

namespace Wuerstchen.Tests.Pipelines;

/// <summary>The prior pipeline around replayed model outputs reproduces every recorded tensor of each prior run.</summary>
public class PriorPipelineReplayTests
{
    [Theory]
    [InlineData("prior_a")] // two prompts, two negatives, 2 images each, CFG 4
    [InlineData("prior_b")] // explicit timesteps, no negative prompt (""), CFG 3
    [InlineData("prior_c")] // given latents
    [InlineData("prior_d")] // guidance 1: no unconditional pass
    public void Replayed_run_matches_every_recorded_step(string name)
    {
        using var run = PipelineRun.Open(name);
        using var givenLatents = run.Input("latents");
        var request = run.PriorRequest(givenLatents);
        var encoder = new Replay.PromptEncoder(run, "prior_te", request.Prompts!, request.NegativePrompts);
        var model = new Replay.DiffusionModel(run, "", latentChannels: 8);
        using var pipeline = new WuerstchenPriorPipeline(
            ComponentSlot<IPromptEncoder>.Loaded("text_encoder", encoder),
            ComponentSlot<IPriorModel>.Loaded("prior", model),
            () => new DdpmWuerstchenScheduler());
        var generator = new TorchGenerator(run.Seed);
        using var log = new TensorLog();

        using var result = pipeline.Run(request, generator, log.Callbacks);

        int steps = ReplayChecks.Steps(run, "");
        Assert.Equal(steps, model.Calls);
        ReplayChecks.Stage(run, log, "", steps);
        ReplayChecks.Close(run, log, "output");
        var reference = new TorchGenerator(run.Seed);
        ReplayChecks.Noise(run, reference, "", steps, initialGiven: givenLatents != null);
        ReplayChecks.SameState(reference, generator, name);
        // One text-encoder call for the prompts and, under guidance, one for the negatives, as diffusers makes them.
        Assert.Equal(request.GuidanceScale > 1 ? 2 : 1, encoder.Calls.Count);
    }

    [Fact]
    public void Prompt_embeddings_replace_the_text_encoder()
    {
        using var run = PipelineRun.Open("prior_a");
        using var promptEmbeds = run.Read("prior_te.prompt.last_hidden_state");
        using var negativeEmbeds = run.Read("prior_te.negative_prompt.last_hidden_state");
        var request = run.PriorRequest(null) with { Prompts = null, NegativePrompts = null, PromptEmbeds = promptEmbeds, NegativePromptEmbeds = negativeEmbeds };
        using var pipeline = new WuerstchenPriorPipeline(
            new ComponentSlot<IPromptEncoder>("text_encoder", () => throw new InvalidOperationException("the text encoder must not be loaded")),
            ComponentSlot<IPriorModel>.Loaded("prior", new Replay.DiffusionModel(run, "", latentChannels: 8)),
            () => new DdpmWuerstchenScheduler());
        using var log = new TensorLog();

        using var result = pipeline.Run(request, new TorchGenerator(run.Seed), log.Callbacks);

        ReplayChecks.Stage(run, log, "", ReplayChecks.Steps(run, ""));
        ReplayChecks.Close(run, log, "output");
    }
}
