using Wuerstchen.Data.Shapes;
using Wuerstchen.IO.Png;
using Wuerstchen.Tensors;

namespace Wuerstchen.Evaluation;

/// <summary>
/// Runs the adherence evaluation: a picture per prompt, analysed by <see cref="AdherenceAnalyzer"/>, scored into an
/// <see cref="AdherenceReport"/>. Pictures come from a generator callback (the pipeline, in the CLI) or from a
/// folder of PNGs named by <see cref="AdherencePrompt.ImageFileName"/>.
/// </summary>
public static class AdherenceEvaluation
{
    /// <summary>
    /// Generates and scores every prompt. <paramref name="generate"/> returns an RGB image [3, H, W] or [1, 3, H, W]
    /// in [0, 1] for the prompt (using <see cref="AdherencePrompt.Seed"/>); the evaluation disposes it. With
    /// <paramref name="imageFolder"/> each picture is also saved there, so the run can be inspected and re-scored.
    /// </summary>
    public static AdherenceReport Run(IReadOnlyList<AdherencePrompt> prompts, Func<AdherencePrompt, Tensor> generate,
        string? imageFolder = null, IProgress<int>? progress = null)
    {
        ArgumentNullException.ThrowIfNull(prompts);
        ArgumentNullException.ThrowIfNull(generate);
        if (imageFolder is not null) Directory.CreateDirectory(imageFolder);
        var results = new List<PromptResult>(prompts.Count);
        foreach (var prompt in prompts)
        {
            using var image = generate(prompt);
            string? path = null;
            if (imageFolder is not null)
            {
                path = Path.Combine(imageFolder, prompt.ImageFileName);
                PngFile.Write(path, ImageTensors.FromTensor(image)[0]);
            }
            results.Add(new PromptResult(prompt, AdherenceAnalyzer.Analyze(image), path));
            progress?.Report(results.Count);
        }
        return new AdherenceReport(results);
    }

    /// <summary>Scores pictures already on disk: for every prompt, <paramref name="imageFolder"/>/<see cref="AdherencePrompt.ImageFileName"/> must exist.</summary>
    public static AdherenceReport ScoreFolder(string imageFolder, IReadOnlyList<AdherencePrompt>? prompts = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(imageFolder);
        prompts ??= AdherencePromptSet.Default;
        var results = new List<PromptResult>(prompts.Count);
        foreach (var prompt in prompts)
        {
            var path = Path.Combine(imageFolder, prompt.ImageFileName);
            if (!File.Exists(path)) throw new FileNotFoundException($"No picture for prompt {prompt.Index} ('{prompt.Text}'): {path} is missing.", path);
            results.Add(new PromptResult(prompt, AdherenceAnalyzer.AnalyzeFile(path), path));
        }
        return new AdherenceReport(results);
    }

    /// <summary>
    /// Checks the analyser itself on a shapes dataset folder (<see cref="ShapesDatasetWriter"/>): every sample's
    /// picture is scored against its metadata (all objects of a sample share colour and shape, so the dominant one
    /// decides). <paramref name="limit"/> caps the number of samples read.
    /// </summary>
    public static AdherenceReport ScoreShapesDataset(string datasetFolder, int? limit = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(datasetFolder);
        var metadata = ShapesMetadata.ReadAll(Path.Combine(datasetFolder, ShapesDatasetWriter.MetadataFileName));
        var results = new List<PromptResult>();
        foreach (var m in metadata.Take(limit ?? int.MaxValue))
        {
            var prompt = new AdherencePrompt((int)m.Index, m.Text, m.Shape, m.Color, m.Background, 0);
            var path = Path.Combine(datasetFolder, m.FileName);
            results.Add(new PromptResult(prompt, AdherenceAnalyzer.AnalyzeFile(path), path));
        }
        return new AdherenceReport(results);
    }
}
