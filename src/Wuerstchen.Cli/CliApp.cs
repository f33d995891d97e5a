using System.CommandLine;
using Wuerstchen.Cli.Commands;
using Wuerstchen.Pipelines;

namespace Wuerstchen.Cli;

/// <summary>Builds the <c>wuerstchen</c> command tree and turns failures into messages and exit codes.</summary>
public static class CliApp
{
    public const int ExitSuccess = 0;
    public const int ExitFailure = 1;
    public const int ExitUsage = 2;
    public const int ExitCancelled = 130;

    /// <summary>
    /// The command tree. A plain command named <c>wuerstchen</c> rather than a RootCommand, whose name (shown in
    /// help) would be the executable's file name, Wuerstchen.Cli.
    /// </summary>
    public static Command CreateRootCommand(CliContext context) =>
        new("wuerstchen", "Würstchen v2 text-to-image, in pure .NET: Stage C prior → Stage B decoder → Stage A VQGAN.")
        {
            new System.CommandLine.Help.HelpOption(),
            new VersionOption(),
            GenerateCommand.Create(context),
            TokenizeCommand.Create(context),
            ConvertWeightsCommand.Create(context),
            InfoCommand.Create(context),
            MakeDatasetCommand.Create(context),
            MakeTokenizerCommand.Create(context),
            EvaluateAdherenceCommand.Create(context),
            BenchCommand.Create(context),
            TrainCommand.Create(context),
            RedrawEmbeddingsCommand.Create(context),
            EncodeCommand.Create(context),
            DecodeCommand.Create(context),
            ReconstructCommand.Create(context),
            VariationCommand.Create(context),
        };

    /// <summary>Runs the tool: 0 success, 1 failure while running, 2 bad arguments, 130 cancelled.</summary>
    public static int Run(string[] args, CliContext context)
    {
        var parse = CreateRootCommand(context).Parse(args);
        if (parse.Errors.Count > 0)
        {
            foreach (var error in parse.Errors) context.Error.WriteLine($"error: {CliMessages.Describe(error)}");
            context.Error.WriteLine("Run 'wuerstchen --help' (or 'wuerstchen <command> --help') for usage.");
            return ExitUsage;
        }
        try
        {
            return parse.Invoke(new InvocationConfiguration
            {
                Output = context.Output,
                Error = context.Error,
                EnableDefaultExceptionHandler = false,
            });
        }
        catch (CliUsageException e)
        {
            context.Error.WriteLine($"error: {e.Argument}: {e.Message}");
            return ExitUsage;
        }
        catch (OperationCanceledException)
        {
            context.Error.WriteLine("cancelled.");
            return ExitCancelled;
        }
        catch (Exception e) when (e is ModelFolderException or IOException or InvalidDataException or UnauthorizedAccessException or NotSupportedException)
        {
            // Problems with the user's files: the message names the file; a stack trace would only hide it.
            context.Error.WriteLine($"error: {e.Message}");
            return ExitFailure;
        }
        catch (Exception e)
        {
            context.Error.WriteLine($"error: {e.Message}");
            context.Error.WriteLine(e.ToString());
            return ExitFailure;
        }
    }
}
