using Wuerstchen.Pipelines;
using Wuerstchen.Rng;
using Wuerstchen.Schedulers;
using Wuerstchen.Tensors;

namespace Wuerstchen.Tests.Pipelines;

/// <summary>
/// Behaviour the recorded runs cannot show: the decoder's per-image prompt alignment (where diffusers fails), loading
/// one stage at a time, progress and cancellation, argument checks. Uses small fakes that record what they are given.
/// </summary>
public class PipelineBehaviourTests
{
    /// <summary>Encodes prompt i of its table as rows filled with i + 1 ([B, 77, 2]).</summary>
    private sealed class TableEncoder(List<string> events, params string[] table) : IPromptEncoder
    {
        public Tensor Encode(IReadOnlyList<string> prompts, Action<string>? onTruncated = null)
        {
            var t = Tensor.Empty(prompts.Count, 77, 2);
            for (int b = 0; b < prompts.Count; b++) t.Narrow(0, b, 1).AsSpan().Fill(Array.IndexOf(table, prompts[b]) + 1);
            return t;
        }
        public void Dispose() => events.Add("dispose text_encoder");
    }

    /// <summary>Predicts zero noise and keeps a copy of the first call's conditioning.</summary>
    private sealed class RecordingModel(List<string> events, string name, int channels) : IPriorModel, IDecoderModel
    {
        public float[]? FirstClipRows, FirstEffnetRows;
        public int Calls;
        public int LatentChannels => channels;
        public Tensor Forward(Tensor x, Tensor r, Tensor c) => Record(x, c, null);
        public Tensor Forward(Tensor x, Tensor r, Tensor effnet, Tensor clip) => Record(x, clip, effnet);
        private Tensor Record(Tensor x, Tensor text, Tensor? effnet)
        {
            if (Calls++ == 0)
            {
                FirstClipRows = Enumerable.Range(0, text.Size(0)).Select(b => text[b, 0, 0]).ToArray();
                FirstEffnetRows = effnet == null ? null : Enumerable.Range(0, effnet.Size(0)).Select(b => effnet[b, 0, 0, 0]).ToArray();
            }
            return Tensor.Zeros(x.Shape);
        }
        public void Dispose() => events.Add($"dispose {name}");
    }

    private sealed class BlankVq(List<string> events) : IVqDecoder
    {
        public float ScaleFactor => 0.3764f;
        public Tensor Decode(Tensor latents) => Tensor.Full(0.5f, latents.Size(0), 3, 4 * latents.Size(2), 4 * latents.Size(3));
        public void Dispose() => events.Add("dispose vqgan");
    }

    private static ComponentSlot<T> Slot<T>(List<string> events, string name, Func<T> create) where T : class, IDisposable =>
        new(name, () => { events.Add($"load {name}"); return create(); });

    private static WuerstchenDecoderPipeline Decoder(List<string> events, RecordingModel model, params string[] prompts) => new(
        Slot<IPromptEncoder>(events, "text_encoder", () => new TableEncoder(events, prompts)),
        Slot<IDecoderModel>(events, "decoder", () => model),
        Slot<IVqDecoder>(events, "vqgan", () => new BlankVq(events)),
        () => new DdpmWuerstchenScheduler());

    /// <summary>Image embeddings [n, 8, 3, 6] whose row k is filled with 10·(k + 1).</summary>
    private static Tensor Embeddings(int rows)
    {
        var t = Tensor.Empty(rows, 8, 3, 6);
        for (int k = 0; k < rows; k++) t.Narrow(0, k, 1).AsSpan().Fill(10 * (k + 1));
        return t;
    }

    [Fact]
    public void Decoder_aligns_each_image_with_its_own_prompt_and_embedding()
    {
        var events = new List<string>();
        var model = new RecordingModel(events, "decoder", 4);
        using var pipeline = Decoder(events, model, "p0", "p1", "n0", "n1");
        using var embeddings = Embeddings(4); // e0, e1 belong to p0; e2, e3 to p1 (the prior's order)

        using var result = pipeline.Run(new DecoderRequest
        {
            ImageEmbeddings = embeddings,
            Prompts = ["p0", "p1"],
            NegativePrompts = ["n0", "n1"],
            GuidanceScale = 2f,
            NumImagesPerPrompt = 2,
            NumInferenceSteps = 2,
        }, new TorchGenerator(1));

        Assert.Equal([8, 3, 128, 256], result.Images!.Shape.ToArray());
        // Rows: each embedding decoded twice; the text of its own prompt; then the unconditional half.
        Assert.Equal([10f, 10, 20, 20, 30, 30, 40, 40, 0, 0, 0, 0, 0, 0, 0, 0], model.FirstEffnetRows!);
        Assert.Equal([1f, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4], model.FirstClipRows!);
    }

    [Fact]
    public void Decoder_rejects_embeddings_that_cannot_be_split_among_the_prompts()
    {
        var events = new List<string>();
        using var pipeline = Decoder(events, new RecordingModel(events, "decoder", 4), "p0", "p1");
        using var embeddings = Embeddings(3);
        var e = Assert.Throws<ArgumentException>(() => pipeline.Run(new DecoderRequest { ImageEmbeddings = embeddings, Prompts = ["p0", "p1"] }));
        Assert.Contains("3 image embeddings cannot be split evenly among 2 prompts", e.Message);
    }

    [Fact]
    public void Decoder_rejects_image_embeddings_it_cannot_decode()
    {
        var events = new List<string>();
        using var pipeline = Decoder(events, new RecordingModel(events, "decoder", 4), "p0");
        using var embeddings = Tensor.Zeros(1, 8, 4, 6);
        Assert.Contains("latent height 4", Assert.Throws<ArgumentException>(() =>
            pipeline.Run(new DecoderRequest { ImageEmbeddings = embeddings, Prompts = ["p0"] })).Message);
    }

    [Fact]
    public void Stages_load_their_models_one_at_a_time_and_release_them()
    {
        var events = new List<string>();
        var prior = new WuerstchenPriorPipeline(
            Slot<IPromptEncoder>(events, "prior text_encoder", () => new TableEncoder(events, "a")),
            Slot<IPriorModel>(events, "prior", () => new RecordingModel(events, "prior", 8)),
            () => new DdpmWuerstchenScheduler());
        using var pipeline = new WuerstchenCombinedPipeline(prior,
            Decoder(events, new RecordingModel(events, "decoder", 4), "a"));

        using var result = pipeline.Run(new CombinedRequest { Prompts = ["a"], Height = 128, Width = 128, PriorNumInferenceSteps = 2, DecoderNumInferenceSteps = 2 },
            new TorchGenerator(3));

        Assert.Equal(
            ["load prior text_encoder", "dispose text_encoder", "load prior", "dispose prior",
             "load text_encoder", "dispose text_encoder", "load decoder", "dispose decoder", "load vqgan", "dispose vqgan"],
            events);
        Assert.False(pipeline.PriorPipeline.Prior.IsLoaded);
    }

    [Fact]
    public void Kept_models_survive_the_call()
    {
        var events = new List<string>();
        var model = new RecordingModel(events, "decoder", 4);
        using var pipeline = Decoder(events, model, "p");
        pipeline.Decoder.KeepLoaded = true;
        using var embeddings = Embeddings(1);
        using (pipeline.Run(new DecoderRequest { ImageEmbeddings = embeddings, Prompts = ["p"], NumInferenceSteps = 1 })) { }
        using (pipeline.Run(new DecoderRequest { ImageEmbeddings = embeddings, Prompts = ["p"], NumInferenceSteps = 1 })) { }
        Assert.Single(events, "load decoder");
        Assert.DoesNotContain("dispose decoder", events);
        Assert.Equal(2, events.Count(e => e == "load text_encoder"));
    }

    [Fact]
    public void Progress_reports_every_stage_and_step()
    {
        var events = new List<string>();
        var progress = new List<PipelineProgress>();
        using var pipeline = new WuerstchenCombinedPipeline(
            new WuerstchenPriorPipeline(
                Slot<IPromptEncoder>(events, "te", () => new TableEncoder(events, "a")),
                Slot<IPriorModel>(events, "prior", () => new RecordingModel(events, "prior", 8)),
                () => new DdpmWuerstchenScheduler()),
            Decoder(events, new RecordingModel(events, "decoder", 4), "a"));

        using var result = pipeline.Run(new CombinedRequest { Prompts = ["a"], Height = 128, Width = 128, PriorNumInferenceSteps = 2, DecoderNumInferenceSteps = 3 },
            new TorchGenerator(3), new PipelineCallbacks { Progress = progress.Add });

        Assert.Equal(
        [
            new(PipelineStage.PriorTextEncoder, 0, 1), new(PipelineStage.PriorTextEncoder, 1, 1),
            new(PipelineStage.Prior, 0, 2), new(PipelineStage.Prior, 1, 2), new(PipelineStage.Prior, 2, 2),
            new(PipelineStage.DecoderTextEncoder, 0, 1), new(PipelineStage.DecoderTextEncoder, 1, 1),
            new(PipelineStage.Decoder, 0, 3), new(PipelineStage.Decoder, 1, 3), new(PipelineStage.Decoder, 2, 3), new(PipelineStage.Decoder, 3, 3),
            new(PipelineStage.VqGan, 0, 1), new(PipelineStage.VqGan, 1, 1),
        ], progress);
    }

    [Fact]
    public void Cancellation_stops_between_steps_and_releases_the_model()
    {
        var events = new List<string>();
        var model = new RecordingModel(events, "prior", 8);
        using var pipeline = new WuerstchenPriorPipeline(
            Slot<IPromptEncoder>(events, "te", () => new TableEncoder(events, "a")),
            Slot<IPriorModel>(events, "prior", () => model),
            () => new DdpmWuerstchenScheduler());
        using var cancel = new CancellationTokenSource();
        var callbacks = new PipelineCallbacks { Progress = p => { if (p is { Stage: PipelineStage.Prior, Step: 2 }) cancel.Cancel(); } };

        Assert.ThrowsAny<OperationCanceledException>(() =>
            pipeline.Run(new PriorRequest { Prompts = ["a"], Height = 128, Width = 128, NumInferenceSteps = 10 }, new TorchGenerator(0), callbacks, cancel.Token));

        Assert.Equal(2, model.Calls);
        Assert.Contains("dispose prior", events);
    }

    [Fact]
    public void Guidance_of_one_or_less_skips_the_unconditional_pass()
    {
        var events = new List<string>();
        var model = new RecordingModel(events, "prior", 8);
        using var pipeline = new WuerstchenPriorPipeline(
            Slot<IPromptEncoder>(events, "te", () => new TableEncoder(events, "a")),
            Slot<IPriorModel>(events, "prior", () => model),
            () => new DdpmWuerstchenScheduler());
        using (pipeline.Run(new PriorRequest { Prompts = ["a"], Height = 128, Width = 128, NumInferenceSteps = 1, GuidanceScale = 1f, NumImagesPerPrompt = 3 })) { }
        Assert.Equal([1f, 1, 1], model.FirstClipRows!);
    }

    [Fact]
    public void Given_latents_of_the_wrong_shape_are_rejected()
    {
        var events = new List<string>();
        using var pipeline = new WuerstchenPriorPipeline(
            Slot<IPromptEncoder>(events, "te", () => new TableEncoder(events, "a")),
            Slot<IPriorModel>(events, "prior", () => new RecordingModel(events, "prior", 8)),
            () => new DdpmWuerstchenScheduler());
        using var latents = Tensor.Zeros(1, 8, 3, 3);
        var e = Assert.Throws<ArgumentException>(() =>
            pipeline.Run(new PriorRequest { Prompts = ["a"], Height = 128, Width = 256, Latents = latents }));
        Assert.Equal("Latents", e.ParamName);
        Assert.Contains("[1, 8, 3, 6]", e.Message);
    }

    [Fact]
    public void Combined_pipeline_rejects_undecodable_sizes_before_running_the_prior()
    {
        var events = new List<string>();
        using var pipeline = new WuerstchenCombinedPipeline(
            new WuerstchenPriorPipeline(
                Slot<IPromptEncoder>(events, "te", () => new TableEncoder(events, "a")),
                Slot<IPriorModel>(events, "prior", () => new RecordingModel(events, "prior", 8)),
                () => new DdpmWuerstchenScheduler()),
            Decoder(events, new RecordingModel(events, "decoder", 4), "a"));
        Assert.Throws<ArgumentException>(() => pipeline.Run(new CombinedRequest { Prompts = ["a"], Height = 1000, Width = 1100 }));
        Assert.Empty(events);
    }
}
